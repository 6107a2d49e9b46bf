import type { FieldIssue } from '../shared/errors.ts';
import { checkPatterns, type MeasuredSchema, type SchemaNode, schemaProblems, Walk, withoutFragment } from './schema-limits.ts';

/**
 * The reference rules of a stored schema (see schema-limits.ts for the whole list): every `$ref` resolves inside the
 * schema itself or to a JSON Schema meta-schema, every `$dynamicRef` to a `$dynamicAnchor`, and no reference cycle
 * comes back to a schema without stepping into the data.
 */

/** The JSON Schema meta-schemas the engine knows: a reference to one is a reference to a fixed, well-founded schema. */
let knownSchemas: ReadonlySet<string> = new Set();
export function setKnownSchemas(uris: Iterable<string>): void {
  knownSchemas = new Set([...uris].map((uri) => uri.replace(/#$/, '')));
}

interface Index {
  byValue: Map<object, SchemaNode>;
  resources: Map<string, SchemaNode>;
  anchors: Map<string, SchemaNode>;
  dynamicAnchors: Map<string, SchemaNode[]>;
  recursiveAnchors: SchemaNode[];
}

function indexNodes(nodes: SchemaNode[]): Index {
  const found: Index = { byValue: new Map(), resources: new Map(), anchors: new Map(), dynamicAnchors: new Map(), recursiveAnchors: [] };
  for (const node of nodes) {
    found.byValue.set(node.value, node);
    if (node.resource === node && !found.resources.has(node.base)) found.resources.set(node.base, node);
    for (const keyword of ['$anchor', '$dynamicAnchor']) {
      const name = node.value[keyword];
      if (typeof name === 'string' && !found.anchors.has(`${node.base}#${name}`)) found.anchors.set(`${node.base}#${name}`, node);
    }
    const dynamic = node.value.$dynamicAnchor;
    if (typeof dynamic === 'string') found.dynamicAnchors.set(dynamic, [...(found.dynamicAnchors.get(dynamic) ?? []), node]);
    if (node.value.$recursiveAnchor === true) found.recursiveAnchors.push(node);
  }
  return found;
}

type Resolved = { node: SchemaNode } | { leaf: true } | { problem: string };

/** A `$ref` → the subschema it names (or a leaf: a boolean schema, a meta-schema), against the base URI of the subschema it sits in. */
function resolveRef(ref: string, from: SchemaNode, found: Index): Resolved {
  let url: URL;
  try {
    url = new URL(ref, from.base);
  } catch {
    return { problem: `cannot resolve $ref "${ref}": not a valid URI reference` };
  }
  const document = withoutFragment(url);
  const resource = found.resources.get(document);
  if (!resource) return knownSchemas.has(document) ? { leaf: true } : { problem: `cannot resolve $ref "${ref}" (only parts of this schema can be referenced)` };
  let fragment = url.hash.slice(1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // a malformed %-escape: taken as written
  }
  if (fragment === '') return { node: resource };
  if (!fragment.startsWith('/')) {
    const anchored = found.anchors.get(`${document}#${fragment}`);
    return anchored ? { node: anchored } : { problem: `cannot resolve $ref "${ref}": no "$anchor": "${fragment}" in this schema` };
  }
  let target: unknown = resource.value;
  for (const raw of fragment.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof target !== 'object' || target === null || !Object.hasOwn(target, key)) return { problem: `cannot resolve $ref "${ref}"` };
    target = (target as Record<string, unknown>)[key];
  }
  if (typeof target === 'boolean') return { leaf: true };
  const node = typeof target === 'object' && target !== null ? found.byValue.get(target) : undefined;
  return node ? { node } : { problem: `cannot resolve $ref "${ref}": it points at a value that is not a subschema` };
}

/** Adds the reference edges (a reference applies its target to the same value) and reports the references that do not resolve. */
function linkReferences(walk: Walk, found: Index, issues: FieldIssue[]): void {
  for (const node of walk.nodes) {
    const { $ref: ref, $dynamicRef: dynamicRef, $recursiveRef: recursiveRef } = node.value;
    if (typeof ref === 'string') {
      const resolved = resolveRef(ref, node, found);
      if ('problem' in resolved) issues.push({ path: walk.pointer(node.frame, '$ref'), message: resolved.problem });
      else if ('node' in resolved) node.inPlace.push({ node: resolved.node, via: ['$ref'] });
    }
    if (typeof dynamicRef === 'string') {
      const path = walk.pointer(node.frame, '$dynamicRef');
      const name = /^#([A-Za-z_][-A-Za-z0-9._]*)$/.exec(dynamicRef)?.[1];
      const anchors = name === undefined ? undefined : found.dynamicAnchors.get(name);
      if (name === undefined) {
        issues.push({
          path,
          message: `"${dynamicRef}" is not supported: a $dynamicRef must be "#name" with a "$dynamicAnchor": "name" in this schema (a JSON pointer needs $ref)`,
        });
      } else if (!anchors) {
        issues.push({ path, message: `cannot resolve $dynamicRef "${dynamicRef}": no "$dynamicAnchor": "${name}" in this schema` });
      } else {
        // Which anchor applies depends on the dynamic scope (and ajv falls back to the resource's root): assume any of them.
        for (const target of [...anchors, node.resource!]) node.inPlace.push({ node: target, via: ['$dynamicRef'] });
      }
    }
    if (typeof recursiveRef === 'string') {
      for (const target of [...found.recursiveAnchors, node.resource!]) node.inPlace.push({ node: target, via: ['$recursiveRef'] });
    }
  }
}

/**
 * A cycle of subschemas each applied to the same value as the one before:
 * validating would never end. Iterative depth-first search; reports the
 * reference that closes the first cycle found.
 */
function findEndlessCycle(walk: Walk): FieldIssue | undefined {
  const state = new Map<SchemaNode, 'open' | 'done'>();
  for (const start of walk.nodes) {
    if (state.has(start)) continue;
    const path: { node: SchemaNode; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'open');
    while (path.length) {
      const top = path[path.length - 1]!;
      const edge = top.node.inPlace[top.next++];
      if (!edge) {
        state.set(top.node, 'done');
        path.pop();
        continue;
      }
      const seen = state.get(edge.node);
      if (seen === 'done') continue;
      if (seen === undefined) {
        state.set(edge.node, 'open');
        path.push({ node: edge.node, next: 0 });
        continue;
      }
      // An edge back to a subschema on the path: the cycle runs from there to here and back.
      const cycle = path
        .slice(path.findIndex((step) => step.node === edge.node))
        .map((step) => ({ at: step.node, via: step.node.inPlace[step.next - 1]!.via }));
      const closingAt = Math.max(
        0,
        cycle.findIndex((step) => step.via[0]!.startsWith('$')),
      );
      const closing = cycle[closingAt]!;
      const keyword = closing.via[0]!;
      const reference = `${keyword} "${String(closing.at.value[keyword])}"`;
      const tail = 'without stepping into the data (through properties, items, additionalProperties …): validating would never end';
      if (cycle.length === 1) {
        return {
          path: walk.pointer(closing.at.frame, ...closing.via),
          message: `${reference} applies ${walk.pointer(closing.at.frame)} to the same value again, ${tail}`,
        };
      }
      // The cycle as seen from the reference: its subschema, where the reference leads, … and back.
      const around = [...cycle.slice(closingAt + 1), ...cycle.slice(0, closingAt + 1)].map((step) => walk.pointer(step.at.frame));
      const shown = around.length > 6 ? [...around.slice(0, 5), '…'] : around;
      return {
        path: walk.pointer(closing.at.frame, ...closing.via),
        message: `${reference} closes a cycle (${walk.pointer(closing.at.frame)} → ${shown.join(' → ')}) ${tail}`,
      };
    }
  }
  return undefined;
}

/**
 * The rules above, on a measured schema: regular expressions the engine can
 * run, references that resolve, no endless reference cycle. Throws a
 * bad_request AppError listing the problems.
 */
export function assertSoundSchema(measured: MeasuredSchema): void {
  const walk = new Walk(measured.field, measured.nodes);
  const issues: FieldIssue[] = [];
  checkPatterns(walk, issues);
  linkReferences(walk, indexNodes(walk.nodes), issues);
  if (issues.length === 0) {
    const cycle = findEndlessCycle(walk);
    if (cycle) issues.push(cycle);
  }
  if (issues.length) throw schemaProblems(measured.field, issues);
}
