/**
 * The paging cursor of name-sorted lists (MCP tools/list, REST GET /tools):
 * the name of the last item already sent, base64url-encoded, so paging stays
 * correct while items come and go — nothing unchanged is skipped or sent twice.
 */
export function encodeNameCursor(lastName: string): string {
  return Buffer.from(lastName, 'utf8').toString('base64url');
}

/** The name in a cursor, or undefined when it is not one this server issued. */
export function decodeNameCursor(cursor: string): string | undefined {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  return name && encodeNameCursor(name) === cursor ? name : undefined;
}

/** Index of the first item whose name sorts after `name`, in a list sorted by name (the registry's `<` order). */
export function indexAfterName(length: number, nameAt: (index: number) => string, name: string): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (nameAt(middle) <= name) low = middle + 1;
    else high = middle;
  }
  return low;
}
