import type { DataRecord } from './schema.ts';

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** JSON with sorted keys: a stable identity for deduplication and grouping. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as DataRecord)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as DataRecord)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A record's own field; never an inherited one (a record without "__proto__" or "constructor" lacks that field). */
export function fieldOf(record: DataRecord, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) return canonical(a) === canonical(b);
  return false;
}

export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Kahan–Babuška (Neumaier) summation: exact-ish sums of many floats. */
export function preciseSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const next = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
    sum = next;
  }
  return sum + compensation;
}

const collator = new Intl.Collator('en', { numeric: true });
const TYPE_RANK: Record<string, number> = { number: 0, string: 1, boolean: 2, object: 3, array: 3 };

/** Numbers, then strings (natural order: "item2" < "item10"), then booleans, then objects; null and missing always last. */
export function compareValues(a: unknown, b: unknown, descending: boolean): number {
  const aEmpty = a === undefined || a === null;
  const bEmpty = b === undefined || b === null;
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1;
  const rankA = TYPE_RANK[typeName(a)]!;
  const rankB = TYPE_RANK[typeName(b)]!;
  let result: number;
  if (rankA !== rankB) result = rankA - rankB;
  else if (typeof a === 'number') result = a - (b as number);
  else if (typeof a === 'string') result = collator.compare(a, b as string);
  else if (typeof a === 'boolean') result = Number(a) - Number(b);
  else result = collator.compare(canonical(a), canonical(b));
  return descending ? -result : result;
}

export function asList(by: string | string[]): string[] {
  return typeof by === 'string' ? [by] : by;
}
