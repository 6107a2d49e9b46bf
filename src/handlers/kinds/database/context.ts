import * as v from 'valibot';
import {
  type DataSourceAccessor,
  DataSourceUnavailableError,
  type FetchLimits,
  type SqlSession,
  SqlStatementError,
} from '../../../providers/data-sources/types.ts';
import { AppError } from '../../../shared/errors.ts';
import { issuesToDetails } from '../../../shared/validation.ts';
import { type HandlerResult, type JsonObject, ToolInputError } from '../../define.ts';
import { toolResult } from '../../result.ts';
import { ALWAYS_READ_ONLY, type DatabaseMode, isReadOnlyMode, isUserMode, type PackTool, USER_SCHEMA, USER_SEARCH_PATH } from './modes.ts';

/**
 * What a pack tool runs with: its parsed handler_config, the call's identity
 * and signal, and one way to open the mode's transaction on the source.
 */

export interface DatabaseConfig {
  source: string;
  mode: DatabaseMode;
  tool: PackTool;
}

export interface PackContext {
  config: DatabaseConfig;
  serverId: string;
  toolName: string;
  signal: AbortSignal;
  dataSources: DataSourceAccessor;
  /** The caller's actor (toolport.caller), when known. */
  caller?: string | undefined;
}

/** Rows a result carries at most besides the source's row limit (about their JSON size). */
export const MAX_RESULT_BYTES = 1_048_576;

/** One pack tool: the row the pack writer stores (title, description, input) and its run. */
export interface PackToolSpec<I extends v.GenericSchema = v.GenericSchema> {
  name: PackTool;
  title: string;
  /** Written for a model: what it does, what it returns, when to use it. */
  description(mode: DatabaseMode): string;
  input: I;
  /** readOnlyHint / destructiveHint of the row, per mode. */
  annotations(mode: DatabaseMode): { readOnlyHint: boolean; destructiveHint: boolean };
  run(args: v.InferOutput<I>, ctx: PackContext): Promise<HandlerResult>;
}

/** The fetch limits of the source (its row limit) and the pack's byte limit. */
export function limitsOf(ctx: PackContext): FetchLimits {
  const source = ctx.dataSources.get(ctx.config.source);
  return { maxRows: source?.rowLimit ?? 1000, maxBytes: MAX_RESULT_BYTES };
}

/** A refusal or an answer the model should read as a failed call (isError), with a machine-readable reason. */
export function errorResult(message: string, extra: JsonObject = {}): HandlerResult {
  return toolResult({ content: [{ type: 'text', text: message }], structuredContent: { error: { message, ...extra } }, isError: true });
}

/** A readable result that is not a failure (an extension missing, nothing found): text and structuredContent. */
export function noteResult(message: string, extra: JsonObject): HandlerResult {
  return toolResult({ content: [{ type: 'text', text: message }], structuredContent: { message, ...extra } });
}

/** Parse a tool's own arguments again (the stored input_schema was checked already; this is the handler's own contract). */
export function parseArgs<S extends v.GenericSchema>(schema: S, input: unknown, toolName: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, input, { abortPipeEarly: true });
  if (parsed.success) return parsed.output;
  const details = issuesToDetails(parsed.issues);
  const first = details[0]!;
  throw new ToolInputError(`${toolName}: ${first.path} ${first.message}`, first.path);
}

/** User modes: a schema argument must be public (and defaults to it). */
export function schemaFor(ctx: PackContext, schema: string | undefined): string {
  const wanted = schema ?? USER_SCHEMA;
  if (isUserMode(ctx.config.mode) && wanted !== USER_SCHEMA) {
    throw new ToolInputError(`only the "${USER_SCHEMA}" schema is visible in ${ctx.config.mode} mode, not "${wanted}"`, '/schema');
  }
  return wanted;
}

/** Thrown inside a transaction to roll it back and still answer (EXPLAIN ANALYZE undoes what it ran). */
export class RollbackWith {
  constructor(readonly value: HandlerResult) {}
}

/**
 * The mode's transaction: READ ONLY for *_ro modes and for the tools that
 * only read; the call's identity as settings (toolport.server/tool/caller,
 * for RLS policies); in user modes a search_path where unqualified names mean
 * public. An unreachable source is `unavailable`; what the database refused
 * is thrown as SqlStatementError. A failed statement ends the transaction
 * (no savepoints: a data source may keep the first error of a transaction),
 * so work that must survive one failure opens one transaction per step.
 */
export async function transact<T>(ctx: PackContext, work: (session: SqlSession) => Promise<T>): Promise<T> {
  const { config } = ctx;
  const readOnly = isReadOnlyMode(config.mode) || ALWAYS_READ_ONLY.has(config.tool);
  try {
    return await ctx.dataSources.transaction(
      config.source,
      {
        readOnly,
        settings: { 'toolport.server': ctx.serverId, 'toolport.tool': ctx.toolName, 'toolport.caller': ctx.caller ?? '' },
        signal: ctx.signal,
      },
      async (session) => {
        if (isUserMode(config.mode)) await session.query(`SET LOCAL search_path TO ${USER_SEARCH_PATH}`);
        return work(session);
      },
    );
  } catch (error) {
    if (error instanceof DataSourceUnavailableError) throw new AppError('unavailable', `Tool "${ctx.toolName}": ${error.message}`);
    throw error;
  }
}

/** transact() for a tool's answer: a statement the database refused becomes an isError result with the SQLSTATE. */
export async function inTransaction(ctx: PackContext, work: (session: SqlSession) => Promise<HandlerResult>): Promise<HandlerResult> {
  try {
    return await transact(ctx, work);
  } catch (error) {
    if (error instanceof RollbackWith) return error.value;
    if (error instanceof SqlStatementError) return sqlErrorResult(error);
    throw error;
  }
}

/** A statement the database refused, as the model sees it: SQLSTATE, message, detail, hint, position. */
export function sqlErrorResult(error: SqlStatementError): HandlerResult {
  const parts = [`The database refused the statement (SQLSTATE ${error.sqlstate}): ${error.message}`];
  if (error.detail) parts.push(`Detail: ${error.detail}`);
  if (error.hint) parts.push(`Hint: ${error.hint}`);
  if (error.sqlstate === '25006') parts.push('The transaction is READ ONLY: this mode cannot change data, not even through a function.');
  return errorResult(parts.join('\n'), {
    sqlstate: error.sqlstate,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.position !== undefined ? { position: error.position } : {}),
  });
}
