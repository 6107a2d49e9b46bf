/**
 * postgres.js reads the database's array types on every new connection with
 * a query whose promise nothing awaits (connection.js, fetchArrayTypes): when
 * the connection is lost in that moment — a database going down or coming
 * back, a flaky network to a data source — the failure surfaces as an
 * unhandled rejection, which would end a Node process. The connection itself
 * is retried by the next query as usual. This tells that one failure apart
 * (by its query text, the only mark it carries) from every other unhandled
 * rejection, which must still end the process.
 */
export function isTypeFetchFailure(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return typeof query === 'string' && query.includes('b.typarray') && query.includes('pg_catalog.pg_type');
}
