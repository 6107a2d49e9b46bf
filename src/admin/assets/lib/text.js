// Small text helpers of the pages: shortening for a table cell, JSON for people.

/** Shorten a text for a table cell. */
export function shorten(text, max = 110) {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1).trimEnd()}…` : value;
}

/** JSON for people: two-space indent. */
export const pretty = (value) => JSON.stringify(value ?? null, null, 2);
