import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import type { DataSourceAccessor } from '../../../providers/data-sources/types.ts';
import type { Logger } from '../../../shared/logger.ts';
import { defineHandler, type Handler, type JsonObject } from '../../define.ts';
import { parseArgs } from './context.ts';
import { type DatabaseMode, isAdminTool, isReadOnlyMode, isUserMode, MODES, PACK_TOOLS, type PackTool, toolsOf } from './modes.ts';
import { PACK_TOOL_SPECS } from './tools/index.ts';

/**
 * The `database` handler kind: the tools of the database tool pack
 * (list_objects, execute_sql, analyze_db_health …) over a data source, in
 * one of four access modes. A tool row says which source, mode and tool;
 * rows are written by the pack writer (registry/database-pack.ts), one per
 * tool, and stay editable like any row. What a mode may run is enforced
 * three times: the parse tree (policy.ts), the transaction (READ ONLY in
 * *_ro modes; a search_path of public in user modes) and the source's own
 * role in the database.
 */

export interface DatabaseKindDeps {
  dataSources: DataSourceAccessor;
  logger: Logger;
  /** TOOLPORT_CALL_TIMEOUT_MS (the call path enforces it; kept for symmetry with the other kinds). */
  callTimeoutMs: number;
}

/** The data-source id rule (registry/data-source-body.ts says the same). */
const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const databaseConfigSchema = v.strictObject(
  {
    source: v.pipe(
      v.string('must be a string'),
      v.regex(SOURCE_ID, 'must be a data source id (lower-case letters, digits, "_" or "-", starting with a letter)'),
      v.description('The data source (see /data-sources) the tool runs on.'),
    ),
    mode: v.pipe(v.picklist(MODES, `must be one of ${MODES.join(', ')}`), v.description('Access mode: user_ro, user_rw, admin_ro or admin_rw.')),
    tool: v.pipe(v.picklist(PACK_TOOLS, `must be one of ${PACK_TOOLS.join(', ')}`), v.description('Which tool of the pack this row is.')),
  },
  (issue) => (issue.expected === 'never' ? 'is not a known field (known: source, mode, tool)' : 'must be a JSON object'),
);

export type DatabaseToolConfig = v.InferOutput<typeof databaseConfigSchema>;

/** The JSON Schema of a pack tool's arguments, as the pack writer stores it in input_schema. */
export function packToolInputSchema(tool: PackTool): JsonObject {
  const { $schema: _ignored, ...schema } = toJsonSchema(PACK_TOOL_SPECS[tool].input, { target: 'draft-2020-12', errorMode: 'throw' }) as JsonObject;
  return schema;
}

export function createDatabaseKind(deps: DatabaseKindDeps): Handler {
  return defineHandler({
    name: 'database',
    title: 'Database tool',
    description:
      'One tool of the database tool pack (list_objects, get_object_details, explain_query, execute_sql; in admin modes also list_schemas, ' +
      'analyze_db_health, get_top_queries, analyze_query_indexes, analyze_workload_indexes) over a data source, in an access mode. ' +
      'Add the whole pack with POST /tools/packs/database or `toolport add-database-tools`.',
    input: v.looseObject({}),
    config: databaseConfigSchema,
    annotations: { readOnlyHint: true },
    runs: 'inline',
    checkTool: ({ config }) =>
      isUserMode(config.mode) && isAdminTool(config.tool)
        ? [{ path: '/tool', message: `"${config.tool}" is an admin tool; mode ${config.mode} has only ${toolsOf(config.mode).join(', ')}` }]
        : [],
    unavailableReason: (config) => {
      const reason = deps.dataSources.unavailableReason(config.source);
      if (reason) return `data source "${config.source}": ${reason}`;
      const source = deps.dataSources.get(config.source);
      if (source && source.access === 'read_only' && !isReadOnlyMode(config.mode as DatabaseMode)) {
        return `mode ${config.mode} writes, but data source "${config.source}" is read_only (use ${config.mode.replace('_rw', '_ro')} or make the source read_write)`;
      }
      return undefined;
    },
    run: (input, ctx) => {
      const spec = PACK_TOOL_SPECS[ctx.config.tool];
      const args = parseArgs(spec.input, input, ctx.toolName);
      return spec.run(args, {
        config: ctx.config,
        serverId: ctx.serverId,
        toolName: ctx.toolName,
        signal: ctx.signal,
        dataSources: deps.dataSources,
        caller: ctx.caller,
      });
    },
  });
}

export { type DatabaseMode, MODES, PACK_TOOLS, type PackTool, toolsOf } from './modes.ts';
export { PACK_TOOL_SPECS } from './tools/index.ts';
