import type { PackToolSpec } from '../context.ts';
import type { PackTool } from '../modes.ts';
import { analyzeDbHealth } from './analyze-db-health.ts';
import { analyzeQueryIndexes } from './analyze-query-indexes.ts';
import { analyzeWorkloadIndexes } from './analyze-workload-indexes.ts';
import { executeSql } from './execute-sql.ts';
import { explainQuery } from './explain-query.ts';
import { getObjectDetails } from './get-object-details.ts';
import { getTopQueries } from './get-top-queries.ts';
import { listObjects } from './list-objects.ts';
import { listSchemas } from './list-schemas.ts';

/** The pack's tools by name: one file each. */
export const PACK_TOOL_SPECS: Readonly<Record<PackTool, PackToolSpec<any>>> = {
  list_objects: listObjects,
  get_object_details: getObjectDetails,
  explain_query: explainQuery,
  execute_sql: executeSql,
  list_schemas: listSchemas,
  analyze_db_health: analyzeDbHealth,
  get_top_queries: getTopQueries,
  analyze_query_indexes: analyzeQueryIndexes,
  analyze_workload_indexes: analyzeWorkloadIndexes,
};
