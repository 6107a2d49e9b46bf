import type { FieldIssue } from '../shared/errors.ts';

/**
 * `x-mcp-header` (MCP 2026-07-28, SEP-2243): a property of a tool's input
 * schema that a client mirrors into an `Mcp-Param-<Name>` request header, so
 * that gateways and load balancers can route on it without reading the body.
 * To the validator it is an annotation; a tool may declare it only where the
 * spec permits, because an SDK client drops a tool whose declaration breaks
 * the rules from its tool list altogether. The rules, checked here when a
 * schema is registered: on a property reached from the root through
 * `properties` alone (not under items, additionalProperties, a combinator,
 * a condition or a $ref), a non-empty RFC 9110 token as its value, on a
 * property of type string, integer or boolean, each name once ignoring case.
 */

export const MCP_HEADER_KEYWORD = 'x-mcp-header';

/** RFC 9110 `token`: one or more tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRIMITIVE = new Set(['string', 'integer', 'boolean']);

function isSchemaObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every place the keyword appears, with whether it is reached through `properties` alone. */
function declarations(
  node: unknown,
  pointer: string,
  reachable: boolean,
  found: { pointer: string; reachable: boolean; schema: Record<string, unknown> }[],
): void {
  if (Array.isArray(node)) {
    node.forEach((child, index) => declarations(child, `${pointer}/${index}`, false, found));
    return;
  }
  if (!isSchemaObject(node)) return;
  if (MCP_HEADER_KEYWORD in node) found.push({ pointer, reachable: reachable && pointer !== '', schema: node });
  for (const [key, child] of Object.entries(node)) {
    if (key === 'properties' && isSchemaObject(child)) {
      for (const [name, property] of Object.entries(child)) declarations(property, `${pointer}/properties/${pointerSegment(name)}`, reachable, found);
    } else if (typeof child === 'object' && child !== null && key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'examples') {
      declarations(child, `${pointer}/${pointerSegment(key)}`, false, found);
    }
  }
}

function pointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** What is wrong with a schema's `x-mcp-header` declarations (none: an empty list). */
export function mcpHeaderProblems(schema: Record<string, unknown>, field: string): FieldIssue[] {
  const found: Parameters<typeof declarations>[3] = [];
  declarations(schema, '', true, found);
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  for (const { pointer, reachable, schema: property } of found) {
    const path = `${field}${pointer}/${MCP_HEADER_KEYWORD}`;
    const value = property[MCP_HEADER_KEYWORD];
    if (!reachable) {
      issues.push({
        path,
        message: "is only permitted on a property reached from the root through 'properties' alone (not under items, combinators, conditions or $ref)",
      });
    } else if (typeof value !== 'string' || !TOKEN.test(value)) {
      issues.push({ path, message: 'must be a header name: a non-empty RFC 9110 token (no spaces, control characters or delimiters)' });
    } else if (typeof property.type !== 'string' || !PRIMITIVE.has(property.type)) {
      issues.push({ path, message: `is only permitted on a property of type string, integer or boolean (this one: ${JSON.stringify(property.type ?? null)})` });
    } else {
      const prior = seen.get(value.toLowerCase());
      if (prior !== undefined) issues.push({ path, message: `names the header "${value}", which ${prior} names already (header names ignore case)` });
      else seen.set(value.toLowerCase(), `${field}${pointer}`);
    }
  }
  return issues;
}
