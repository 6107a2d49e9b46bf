import type * as v from 'valibot';
import { ToolInputError } from '../../define.ts';
import type { aggregateFn, DataRecord, DeduplicateOp, FilterOp, GroupOp, SortOp } from './schema.ts';
import { asList, canonical, compareValues, fieldOf, preciseSum, same, show, typeName } from './values.ts';

// --- checks -----------------------------------------------------------------

function opPath(index: number, key: string): string {
  return `/operations/${index}/${key}`;
}

export function requireField(records: readonly DataRecord[], name: string, index: number, key = 'field'): void {
  if (records.length === 0) return;
  if (records.some((record) => Object.hasOwn(record, name))) return;
  const known = [...new Set(records.slice(0, 100).flatMap((record) => Object.keys(record)))].slice(0, 20);
  throw new ToolInputError(`field "${name}" does not exist in any record${known.length ? ` (fields: ${known.join(', ')})` : ''}`, opPath(index, key));
}

/** The numeric values of a field; null and missing values are skipped, anything else is an error. */
export function numbersOf(records: readonly DataRecord[], name: string, index: number, key = 'field'): { values: number[]; missing: number } {
  const values: number[] = [];
  let missing = 0;
  records.forEach((record, position) => {
    const value = fieldOf(record, name);
    if (value === undefined || value === null) missing += 1;
    else if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
    else {
      throw new ToolInputError(
        `field "${name}" is not numeric: record ${position} has ${show(value)} (${typeName(value)}); ` +
          'numeric operations need numbers (null or missing values are skipped)',
        opPath(index, key),
      );
    }
  });
  return { values, missing };
}

// --- operations -------------------------------------------------------------

export function sortRecords(records: DataRecord[], op: v.InferOutput<typeof SortOp>, index: number): DataRecord[] {
  const keys = asList(op.by);
  for (const key of keys) requireField(records, key, index, 'by');
  const descending = op.order === 'desc';
  // Array.prototype.sort is stable: ties keep their input order.
  return [...records].sort((a, b) => {
    for (const key of keys) {
      const result = compareValues(fieldOf(a, key), fieldOf(b, key), descending);
      if (result !== 0) return result;
    }
    return 0;
  });
}

export function filterRecords(records: DataRecord[], op: v.InferOutput<typeof FilterOp>, index: number): DataRecord[] {
  requireField(records, op.field, index);
  const { field: name, operator, value } = op;
  const read = (record: DataRecord) => fieldOf(record, name) ?? null;
  switch (operator) {
    case 'eq':
      return records.filter((record) => same(read(record), value ?? null));
    case 'ne':
      return records.filter((record) => !same(read(record), value ?? null));
    case 'in': {
      if (!Array.isArray(value)) {
        throw new ToolInputError('operator "in" needs an array value, e.g. ["a", "b"]', opPath(index, 'value'));
      }
      return records.filter((record) => value.some((candidate) => same(read(record), candidate)));
    }
    case 'contains':
      return records.filter((record) => {
        const current = read(record);
        if (typeof current === 'string') return typeof value === 'string' && current.includes(value);
        if (Array.isArray(current)) return current.some((element) => same(element, value));
        return false;
      });
    default: {
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ToolInputError(`operator "${operator}" needs a number or a string value, not ${typeName(value)}`, opPath(index, 'value'));
      }
      const kind = typeof value;
      records.forEach((record, position) => {
        const current = read(record);
        if (current !== null && typeof current !== kind) {
          throw new ToolInputError(
            `field "${name}" ${kind === 'number' ? 'is not numeric' : 'is not a string'}: record ${position} has ` +
              `${show(current)} (${typeName(current)}), which cannot be compared with ${show(value)}`,
            opPath(index, 'field'),
          );
        }
      });
      const test: Record<string, (a: number | string, b: number | string) => boolean> = {
        gt: (a, b) => a > b,
        gte: (a, b) => a >= b,
        lt: (a, b) => a < b,
        lte: (a, b) => a <= b,
      };
      const compare = test[operator]!;
      return records.filter((record) => {
        const current = read(record);
        return current !== null && compare(current as number | string, value);
      });
    }
  }
}

export function deduplicateRecords(records: DataRecord[], op: v.InferOutput<typeof DeduplicateOp>, index: number): DataRecord[] {
  for (const key of op.by ?? []) requireField(records, key, index, 'by');
  const seen = new Set<string>();
  return records.filter((record) => {
    const identity = op.by ? canonical(op.by.map((key) => fieldOf(record, key) ?? null)) : canonical(record);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}

/** Checks the field's values (not its existence: a group may lack a field other groups have). */
export function aggregate(records: readonly DataRecord[], name: string, fn: v.InferOutput<typeof aggregateFn>, index: number, key = 'field'): number | null {
  if (fn === 'count') return records.filter((record) => fieldOf(record, name) != null).length;
  const { values } = numbersOf(records, name, index, key);
  if (fn === 'sum') return preciseSum(values);
  if (values.length === 0) return null;
  if (fn === 'avg') return preciseSum(values) / values.length;
  // reduce, not Math.min(...values): spreading 100k arguments overflows the stack.
  return fn === 'min' ? values.reduce((least, value) => Math.min(value, least)) : values.reduce((most, value) => Math.max(value, most));
}

export function groupRecords(records: DataRecord[], op: v.InferOutput<typeof GroupOp>, index: number): DataRecord[] {
  const keys = asList(op.by);
  for (const key of keys) requireField(records, key, index, 'by');
  const specs = op.aggregate ?? [];
  specs.forEach((spec, position) => requireField(records, spec.field, index, `aggregate/${position}/field`));
  const groups = new Map<string, DataRecord[]>();
  for (const record of records) {
    const identity = canonical(keys.map((key) => fieldOf(record, key) ?? null));
    const members = groups.get(identity);
    if (members) members.push(record);
    else groups.set(identity, [record]);
  }
  return [...groups.values()].map((members) => {
    // Object.fromEntries, not row[key] = …: assigning "__proto__" would set the row's prototype instead of a field.
    return Object.fromEntries([
      ...keys.map((key) => [key, fieldOf(members[0]!, key) ?? null]),
      ['count', members.length],
      ...specs.map((spec, position) => [spec.as ?? `${spec.fn}_${spec.field}`, aggregate(members, spec.field, spec.fn, index, `aggregate/${position}/field`)]),
    ]);
  });
}
