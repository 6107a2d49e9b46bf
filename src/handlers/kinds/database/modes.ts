/**
 * The database tool pack's access modes and tools. User modes see only the
 * `public` schema and get the four exploring tools; admin modes see
 * everything and add the five DBA tools. `_ro` modes run in READ ONLY
 * transactions and accept only reads; `user_rw` adds DML on `public`;
 * `admin_rw` accepts any statement a single transaction can run.
 */

export const MODES = ['user_ro', 'user_rw', 'admin_ro', 'admin_rw'] as const;
export type DatabaseMode = (typeof MODES)[number];

export const USER_TOOLS = ['list_objects', 'get_object_details', 'explain_query', 'execute_sql'] as const;
export const ADMIN_TOOLS = ['list_schemas', 'analyze_db_health', 'get_top_queries', 'analyze_query_indexes', 'analyze_workload_indexes'] as const;
export const PACK_TOOLS = [...USER_TOOLS, ...ADMIN_TOOLS] as const;
export type PackTool = (typeof PACK_TOOLS)[number];

export const isUserMode = (mode: DatabaseMode): boolean => mode === 'user_ro' || mode === 'user_rw';
export const isReadOnlyMode = (mode: DatabaseMode): boolean => mode.endsWith('_ro');
export const isAdminTool = (tool: PackTool): boolean => (ADMIN_TOOLS as readonly string[]).includes(tool);

/** The tools a mode gets, in pack order. */
export function toolsOf(mode: DatabaseMode): readonly PackTool[] {
  return isUserMode(mode) ? USER_TOOLS : PACK_TOOLS;
}

/** Tools that only read whatever the mode: their transaction is READ ONLY even in *_rw modes. */
export const ALWAYS_READ_ONLY: ReadonlySet<PackTool> = new Set([
  'list_objects',
  'get_object_details',
  'list_schemas',
  'analyze_db_health',
  'get_top_queries',
  // hypopg's hypothetical indexes live in backend memory: creating them writes nothing, so READ ONLY holds.
  'analyze_query_indexes',
  'analyze_workload_indexes',
]);

/** The only schema user modes may see or name. */
export const USER_SCHEMA = 'public';

/** search_path of user-mode transactions: unqualified names mean public (pg_catalog is refused by the parser check; temp tables last). */
export const USER_SEARCH_PATH = 'pg_catalog, public, pg_temp';
