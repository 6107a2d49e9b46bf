/**
 * Canonical JSON text: object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as JSON.stringify writes them — for JSON
 * values this is RFC 8785 (JCS) text, so equal values give equal text (and
 * equal digests) whatever order their keys came in. Written here because no
 * maintained package for it (`canonicalize`, `safe-stable-stringify`) is a
 * dependency; it is twelve lines. As JSON.stringify does, `toJSON` is honoured,
 * undefined, functions and symbols are left out of objects and are null in
 * arrays, and non-finite numbers are null.
 */
export function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((item) => (isOmitted(item) ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      if (!isOmitted(record[key])) parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'bigint') throw new TypeError('a BigInt has no JSON form');
  return isOmitted(value) ? 'null' : JSON.stringify(value);
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
