/**
 * Rows as the result carries them (JSON): what the drivers parse into
 * values JSON cannot hold — Buffers (bytea), bigints (PGlite's int8) — are
 * turned into text; and the approximate JSON size of each row, for the byte
 * limit (measured on the converted row, which is what is sent).
 */

function jsonSafe(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  return value;
}

/** The row with every value JSON can carry (bytea as \x hex, int8 as text, timestamps as ISO strings). */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = jsonSafe(row[key]);
  return out;
}

/** About how many bytes the row takes in the JSON result (UTF-16 length of its JSON: close enough for a limit). */
export function jsonSize(row: Record<string, unknown>): number {
  return JSON.stringify(row).length;
}

/**
 * Collects rows up to the limits: at most maxRows, at most maxBytes; `push`
 * says false once no more rows are wanted (the rest stay unfetched), and
 * `truncated` whether any row was left out.
 */
export class RowCollector {
  readonly rows: Record<string, unknown>[] = [];
  truncated = false;
  /** The brackets of the rows array; each row adds its size and a comma. */
  private bytes = 2;

  constructor(private readonly limits: { maxRows: number; maxBytes: number } | undefined) {}

  push(raw: Record<string, unknown>): boolean {
    if (this.truncated) return false;
    const row = toJsonRow(raw);
    if (!this.limits) {
      this.rows.push(row);
      return true;
    }
    if (this.rows.length >= this.limits.maxRows) {
      this.truncated = true;
      return false;
    }
    const size = jsonSize(row) + 1;
    if (this.bytes + size > this.limits.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.bytes += size;
    this.rows.push(row);
    return true;
  }
}
