// The text beside a control: a schema's description and the constraints a person should know before the server says them.
import { kindOf, mainType } from './resolve.js';

const SCALARS = new Set(['string', 'number', 'boolean', 'enum', 'const']);

export function show(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The constraints a person should know before the server says them: pattern, lengths, bounds, item counts. */
function constraints(s) {
  const out = [];
  const kind = kindOf(s);
  if (kind === 'string') {
    if (s.minLength !== undefined && s.maxLength !== undefined) out.push(`${s.minLength}–${s.maxLength} characters`);
    else if (s.minLength !== undefined) out.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`);
    else if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
    if (s.pattern) out.push(`pattern ${s.pattern}`);
    if (s.format === 'date-time') out.push('format date-time (your local time, sent as UTC ISO 8601)');
    else if (s.format) out.push(`format ${s.format}`);
  }
  if (kind === 'number') {
    if (mainType(s) === 'integer') out.push('a whole number');
    if (typeof s.exclusiveMinimum === 'number') out.push(`> ${s.exclusiveMinimum}`);
    else if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
    if (typeof s.exclusiveMaximum === 'number') out.push(`< ${s.exclusiveMaximum}`);
    else if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
    if (s.multipleOf !== undefined) out.push(`a multiple of ${s.multipleOf}`);
  }
  if (kind === 'array') {
    if (s.minItems !== undefined && s.maxItems !== undefined) out.push(`${s.minItems}–${s.maxItems} items`);
    else if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
    else if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
    if (s.uniqueItems) out.push('no duplicates');
  }
  if (s.default !== undefined && SCALARS.has(kind)) out.push(`default ${show(s.default)}`);
  return out;
}

export function hintOf(s, extra = []) {
  const rules = [...constraints(s), ...extra];
  const parts = [s.description, rules.length ? `(${rules.join('; ')})` : null].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}
