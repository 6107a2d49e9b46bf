import type { FieldIssue } from '../../../shared/errors.ts';
import type { SqlConfig } from './config.ts';
import { identifierProblem, type ParsedStatement, parseStatement } from './params.ts';

/**
 * The rules of an `sql` tool beyond its config's shape, checked on every
 * write (a 400 naming the field) and whenever the row is loaded: every
 * `:name` and `{{name}}` of the statement is a property of the tool's input
 * schema; every `{{name}}` has an allow-list (and every allow-list is used);
 * an identifier argument is a string whose enum, when the schema has one,
 * allows nothing the allow-list does not. Paths are relative to
 * handler_config ("/statement").
 */

const parsed = new WeakMap<SqlConfig, ParsedStatement>();

/** The parsed statement of a config (parsed once per config object: configs are parsed once per row version). */
export function statementOf(config: SqlConfig): ParsedStatement {
  let result = parsed.get(config);
  if (!result) {
    result = parseStatement(config.statement);
    parsed.set(config, result);
  }
  return result;
}

function propertiesOf(inputSchema: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const properties = inputSchema.properties;
  return typeof properties === 'object' && properties !== null && !Array.isArray(properties) ? (properties as Record<string, Record<string, unknown>>) : {};
}

const listed = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');

export function checkSqlTool(config: SqlConfig, inputSchema: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const statement = statementOf(config);
  for (const message of statement.problems) issues.push({ path: '/statement', message });
  const properties = propertiesOf(inputSchema);
  const known = Object.keys(properties);
  const why = `no property of that name in the tool's input_schema (properties: ${listed(known)})`;
  for (const name of statement.parameters) {
    if (!(name in properties)) issues.push({ path: '/statement', message: `parameter :${name} has ${why}` });
    if (statement.identifiers.includes(name)) issues.push({ path: '/statement', message: `"${name}" is used both as :${name} and as {{${name}}}` });
  }
  for (const name of statement.identifiers) {
    const allowed = config.identifiers[name];
    if (!(name in properties)) issues.push({ path: '/statement', message: `identifier {{${name}}} has ${why}` });
    if (!allowed) {
      issues.push({
        path: '/identifiers',
        message: `{{${name}}} has no allow-list: add "${name}": ["…"] (identifiers are never taken from arguments as they come)`,
      });
      continue;
    }
    const property = properties[name];
    if (property && property.type !== undefined && property.type !== 'string') {
      issues.push({ path: '/identifiers', message: `input_schema property "${name}" fills {{${name}}} and must be of type "string"` });
    }
    const values = property?.enum;
    if (Array.isArray(values)) {
      const outside = values.filter((value) => typeof value !== 'string' || !allowed.includes(value));
      if (outside.length) {
        issues.push({
          path: `/identifiers/${name}`,
          message: `input_schema enum of "${name}" has values the allow-list does not: ${outside.map((value) => JSON.stringify(value)).join(', ')}`,
        });
      }
    }
  }
  for (const [name, values] of Object.entries(config.identifiers)) {
    if (!statement.identifiers.includes(name)) issues.push({ path: `/identifiers/${name}`, message: `{{${name}}} does not appear in the statement` });
    values.forEach((value, index) => {
      const problem = identifierProblem(value);
      if (problem) issues.push({ path: `/identifiers/${name}/${index}`, message: `${JSON.stringify(value)} ${problem}` });
    });
  }
  return issues;
}
