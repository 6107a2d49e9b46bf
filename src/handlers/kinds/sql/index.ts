import * as v from 'valibot';
import {
  type DataSourceAccessor,
  DataSourceUnavailableError,
  SAMPLES_SOURCE_ID,
  type SqlResult,
  SqlStatementError,
} from '../../../providers/data-sources/types.ts';
import { AppError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { defineHandler, type Handler, type HandlerContext, type HandlerResult, ToolInputError } from '../../define.ts';
import { toolResult } from '../../result.ts';
import { checkSqlTool, statementOf } from './check.ts';
import { MAX_RESULT_BYTES, type SqlConfig, sqlConfigSchema } from './config.ts';
import { renderStatement } from './params.ts';
import { samplesRefusal } from './samples-guard.ts';

/**
 * The `sql` handler kind: one tool = one parameterized SQL statement on a
 * named data source, its behaviour entirely in the tool row's
 * `handler_config` (config.ts). Every call is its own transaction: READ ONLY
 * unless the source is read_write and the tool says `write: true`;
 * statement_timeout and `toolport.server` / `toolport.tool` /
 * `toolport.caller` set locally, so row-level-security policies of the
 * target database can use `current_setting('toolport.caller', true)`.
 *
 * Failures: what the database refused (syntax, permission, constraint,
 * timeout) is an isError result with the SQLSTATE — the model can fix its
 * arguments; a source that cannot be used is `unavailable` naming it.
 */

export interface SqlKindDeps {
  dataSources: DataSourceAccessor;
  logger: Logger;
  /** TOOLPORT_SLOW_QUERY_MS: statements slower than this are logged (warn) with tool, source and duration. */
  slowQueryMs: number;
  /** TOOLPORT_CALL_TIMEOUT_MS: the bound of `timeoutMs`. */
  callTimeoutMs: number;
}

/** A `:name` argument as a query parameter: JSON objects and arrays travel as JSON text (cast with ::jsonb). */
function parameterValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return value;
}

function identifierValues(config: SqlConfig, args: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const allowed = config.identifiers[name] ?? [];
    const value = args[name];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      const shown =
        typeof value === 'string' ? JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value) : value === undefined ? 'missing' : typeof value;
      throw new ToolInputError(`argument "${name}" must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')} (got ${shown})`, `/${name}`);
    }
    values[name] = value;
  }
  return values;
}

/** Why a tool cannot be called now: its source's reason (not a passing "down", which the call itself reports), or write on a read_only source. */
function unavailable(deps: SqlKindDeps, config: SqlConfig): string | undefined {
  const reason = deps.dataSources.unavailableReason(config.source);
  if (reason && !reason.startsWith('down: ')) return reason;
  if (config.write && deps.dataSources.get(config.source)?.access === 'read_only') {
    return `the tool writes (write: true) but data source "${config.source}" is read_only`;
  }
  return undefined;
}

function statementFailure(error: SqlStatementError): HandlerResult {
  const lines = [`SQL error ${error.sqlstate}: ${error.message}`];
  if (error.detail) lines.push(`DETAIL: ${error.detail}`);
  if (error.hint) lines.push(`HINT: ${error.hint}`);
  if (error.position !== undefined) lines.push(`POSITION: ${error.position}`);
  return toolResult({ content: [{ type: 'text', text: lines.join('\n') }], isError: true });
}

async function runStatement(deps: SqlKindDeps, input: Record<string, unknown>, ctx: HandlerContext<SqlConfig>): Promise<HandlerResult> {
  const { config, toolName } = ctx;
  const reason = unavailable(deps, config);
  if (reason) throw new AppError('unavailable', `Tool "${toolName}" is unavailable: ${reason}`);
  const source = deps.dataSources.get(config.source)!;
  const statement = statementOf(config);
  const text = statement.identifiers.length
    ? renderStatement(statement.segments, identifierValues(config, input, statement.identifiers))
    : renderStatement(statement.segments, {});
  const params = statement.parameters.map((name) => parameterValue(input[name]));
  if (config.source === SAMPLES_SOURCE_ID) {
    const refused = await samplesRefusal(text);
    if (refused) throw new AppError('unavailable', `Tool "${toolName}" is unavailable: ${refused}`);
  }
  const maxRows = Math.min(config.rowLimit ?? source.rowLimit, source.rowLimit);
  const started = performance.now();
  let result: SqlResult;
  try {
    result = await deps.dataSources.transaction(
      config.source,
      {
        readOnly: !(config.write && source.access === 'read_write'),
        ...(config.timeoutMs !== undefined ? { statementTimeoutMs: config.timeoutMs } : {}),
        settings: { 'toolport.server': ctx.serverId, 'toolport.tool': toolName, 'toolport.caller': ctx.caller ?? '' },
        signal: ctx.signal,
        prepareStatements: true,
      },
      (session) => session.query(text, params, { maxRows, maxBytes: MAX_RESULT_BYTES }),
    );
  } catch (error) {
    if (error instanceof SqlStatementError) {
      logSlow(deps, ctx, performance.now() - started, { sqlstate: error.sqlstate });
      return statementFailure(error);
    }
    if (error instanceof DataSourceUnavailableError) throw new AppError('unavailable', `Tool "${toolName}" is unavailable: ${error.message}`);
    throw error;
  }
  logSlow(deps, ctx, performance.now() - started, { rowCount: result.rowCount });
  return { rows: result.rows, rowCount: result.rowCount, truncated: result.truncated, columns: result.columns };
}

/** Slow statements are logged with tool, source and duration — never the arguments' values. */
function logSlow(deps: SqlKindDeps, ctx: HandlerContext<SqlConfig>, durationMs: number, fields: Record<string, unknown>): void {
  if (durationMs < deps.slowQueryMs) return;
  deps.logger.warn('slow sql statement', {
    server: ctx.serverId,
    tool: ctx.toolName,
    source: ctx.config.source,
    durationMs: Math.round(durationMs),
    ...fields,
  });
}

export function createSqlKind(deps: SqlKindDeps): Handler {
  return defineHandler({
    name: 'sql',
    title: 'SQL statement',
    description:
      "Runs one parameterized SQL statement on a data source: :name placeholders are bound from the tool's arguments, {{name}} identifiers come from an allow-list. " +
      'Register a tool with "handler": "sql" and that config.',
    input: v.looseObject({}),
    config: sqlConfigSchema(deps.callTimeoutMs),
    runs: 'inline',
    checkTool: ({ config, inputSchema }) => checkSqlTool(config, inputSchema),
    unavailableReason: (config) => unavailable(deps, config),
    run: (input, ctx) => runStatement(deps, input as Record<string, unknown>, ctx),
  });
}

export { type SqlConfig, sqlConfigSchema } from './config.ts';
export { parseStatement, quoteIdentifier } from './params.ts';
