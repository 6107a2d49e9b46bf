/** Rows → an aligned text table in the style of psql, with a row count. */
export function formatTable(fields: string[], rows: Record<string, unknown>[]): string {
  const columns = fields.length ? fields : Object.keys(rows[0] ?? {});
  if (columns.length === 0) return `(${rows.length} rows)`;
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value).replace(/\n/g, '\\n');
  };
  const body = rows.map((row) => columns.map((column) => cell(row[column])));
  const widths = columns.map((column, index) => Math.max(column.length, ...body.map((line) => line[index]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => ' ' + value.padEnd(widths[index]!) + ' ')
      .join('|')
      .trimEnd();
  const separator = widths.map((width) => '-'.repeat(width + 2)).join('+');
  const count = `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`;
  return [line(columns), separator, ...body.map(line), count].join('\n');
}
