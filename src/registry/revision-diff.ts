import { createPatch, type Operation } from 'rfc6902';
import { canonicalJson } from '../shared/canonical-json.ts';
import { sameJson } from '../shared/json-equal.ts';
import { lazyRequire } from '../shared/lazy-require.ts';

/** The unified-diff library, loaded by the first diff (GET /tools/:name/diff). */
const diffText = lazyRequire<typeof import('diff')>('diff');

/**
 * What changed between two definitions: an RFC 6902 JSON Patch (rfc6902)
 * that turns `from` into `to`, the top-level fields it touches, and a unified
 * diff (diff) of both pretty-printed with sorted keys, for people.
 */
export interface DefinitionDiff {
  patch: Operation[];
  changed: string[];
  unified: string;
}

/** Pretty JSON with keys sorted at every level: equal definitions print the same, whatever order their keys came in. */
export function prettyDefinition(value: unknown): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`;
}

/** The top-level field a JSON Pointer names (`/inputSchema/properties/x` → inputSchema). */
function fieldOf(pointer: string): string {
  const first = pointer.split('/')[1] ?? '';
  return first.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The top-level fields whose values differ (key order aside). */
export function changedTopLevel(from: object, to: object): string[] {
  const before = from as Record<string, unknown>;
  const after = to as Record<string, unknown>;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !sameJson(before[key], after[key])).sort();
}

export function diffDefinitions(from: unknown, to: unknown, labels: { from: string; to: string }): DefinitionDiff {
  // Both sides through canonical JSON first: key order never shows up as a change.
  const before = JSON.parse(canonicalJson(from));
  const after = JSON.parse(canonicalJson(to));
  const patch = createPatch(before, after);
  const changed = [...new Set(patch.map((operation) => fieldOf(operation.path)))].sort();
  const unified = diffText().createTwoFilesPatch(labels.from, labels.to, prettyDefinition(before), prettyDefinition(after), undefined, undefined, {
    context: 3,
  });
  return { patch, changed, unified };
}
