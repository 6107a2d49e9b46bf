import * as v from 'valibot';
import { OutboundError, type OutboundHttp, type OutboundResponse } from '../../../providers/outbound/index.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import { type SecretReader, SecretScope, UnsetSecretError } from '../../../shared/secrets.ts';
import { defineHandler, type Handler, type HandlerResult, ToolInputError } from '../../define.ts';
import { checkHttpTool, unsetSecret } from './check.ts';
import { type HttpConfig, httpConfigSchema } from './config.ts';
import { type BuiltRequest, buildRequest } from './request.ts';
import { describeTarget, mapResponse } from './response.ts';
import { backoffDelay, isRetryableStatus, mayRepeat, retryAfterMs, sleep } from './retry.ts';

/**
 * The `http` handler kind: one tool = one HTTP request to an upstream API,
 * its behaviour entirely in the tool row's `handler_config` (config.ts), so a
 * REST API becomes a tool with one POST /tools or one INSERT. Requests go
 * through the SSRF-safe outbound client (providers/outbound), which checks
 * and pins every address; this module places the arguments, resolves secret
 * references, retries what may be retried within the tool's time budget and
 * maps the answer (response.ts).
 *
 * Failures: a 4xx is an isError result (the model can fix its call); a 5xx
 * after retries, a connection error, a refused address (handler_failed — not
 * `forbidden`, which means the caller's own credentials, and which MCP would
 * turn into a protocol error the model never sees) and an oversized response
 * are handler_failed; running out of time is `timeout`.
 */

export interface HttpKindDeps {
  outbound: OutboundHttp;
  /** `${secret:NAME}` → TOOLPORT_SECRET_NAME (config.secret), read at call time. */
  secret: SecretReader;
  /** TOOLPORT_CALL_TIMEOUT_MS: the bound and default of `timeoutMs`. */
  callTimeoutMs: number;
}

type Failure = { error: OutboundError } | { response: OutboundResponse };

function outboundFailure(error: OutboundError, toolName: string, target: () => string, budgetMs: number, tries: string, secrets: SecretScope): AppError {
  // The client's messages name the kind, the URL without its query and the reason ("refused http://…: 10.0.0.5 is private …").
  const said = secrets.redact(error.message);
  switch (error.kind) {
    case 'timeout':
      return new AppError('timeout', `Tool "${toolName}": upstream ${target()} did not answer within ${budgetMs} ms (timeoutMs)${tries}`);
    case 'refused': {
      const hint = said.includes('TOOLPORT_HTTP_ALLOW') ? '' : ' (an internal address is reached only when TOOLPORT_HTTP_ALLOW lists it)';
      return new AppError('handler_failed', `Tool "${toolName}": upstream request ${said}${hint}`);
    }
    case 'too_large':
      return new AppError('handler_failed', `Tool "${toolName}": upstream request ${said} (the tool's maxResponseBytes)`);
    default:
      return new AppError('handler_failed', `Tool "${toolName}": upstream request ${said}${tries}`);
  }
}

function build(config: HttpConfig, args: Record<string, unknown>, secrets: SecretScope, toolName: string, requestId: string | undefined): BuiltRequest {
  try {
    return buildRequest(config, args, secrets, requestId);
  } catch (error) {
    if (error instanceof UnsetSecretError) throw new AppError('unavailable', `Tool "${toolName}" is unavailable: handler_config: ${error.message}`);
    if (error instanceof ToolInputError || isAppError(error)) throw error;
    throw new AppError('handler_failed', `Tool "${toolName}": could not build the request: ${secrets.redact((error as Error).message)}`);
  }
}

/** The request, retried as the policy allows within the time budget; the final answer mapped to a result. */
async function callUpstream(
  deps: HttpKindDeps,
  config: HttpConfig,
  args: Record<string, unknown>,
  toolName: string,
  signal: AbortSignal,
  requestId: string | undefined,
): Promise<HandlerResult> {
  const secrets = new SecretScope(deps.secret);
  const request = build(config, args, secrets, toolName, requestId);
  // "GET https://host/path" for messages, made only when one is written.
  const target = () => describeTarget(request.method, request.url, secrets);
  const budgetMs = config.timeoutMs ?? deps.callTimeoutMs;
  const deadline = performance.now() + budgetMs;
  const repeat = mayRepeat(request.method, config.retry);
  for (let attempt = 1; ; attempt++) {
    const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
    const remaining = Math.floor(deadline - performance.now());
    if (remaining <= 0) throw new AppError('timeout', `Tool "${toolName}": upstream ${target()} did not answer within ${budgetMs} ms${tries}`);
    let failure: Failure;
    try {
      const response = await deps.outbound.request({ ...request, timeoutMs: remaining, signal, maxResponseBytes: config.maxResponseBytes });
      if (!isRetryableStatus(response.status) || !repeat || attempt >= config.retry.attempts) {
        return mapResponse(response, { config, secrets, toolName, attempts: attempt });
      }
      failure = { response };
    } catch (error) {
      if (signal.aborted && isAppError(signal.reason)) throw signal.reason;
      if (!(error instanceof OutboundError)) {
        if (isAppError(error)) throw error;
        throw new AppError('handler_failed', `Tool "${toolName}": ${target()} failed: ${secrets.redact((error as Error)?.message ?? String(error))}`);
      }
      if (error.kind !== 'network' || !repeat || attempt >= config.retry.attempts) throw outboundFailure(error, toolName, target, budgetMs, tries, secrets);
      failure = { error };
    }
    const retryAfter = 'response' in failure ? retryAfterMs(failure.response.header('retry-after')) : undefined;
    const wait = retryAfter ?? backoffDelay(attempt, config.retry);
    if (wait >= deadline - performance.now()) {
      // No time left to wait and try again: the last answer is the result.
      if ('response' in failure) return mapResponse(failure.response, { config, secrets, toolName, attempts: attempt });
      throw outboundFailure(failure.error, toolName, target, budgetMs, tries, secrets);
    }
    await sleep(wait, signal);
  }
}

export function createHttpKind(deps: HttpKindDeps): Handler {
  return defineHandler({
    name: 'http',
    title: 'HTTP request',
    description:
      "Calls an upstream HTTP API: one tool = one request, described by the tool's config (method, url template, query, headers, body, select). " +
      'Register a tool with "handler": "http" and that config.',
    input: v.looseObject({}),
    config: httpConfigSchema(deps.callTimeoutMs),
    annotations: { openWorldHint: true },
    runs: 'inline',
    checkTool: ({ config, inputSchema }) => checkHttpTool(config, inputSchema),
    unavailableReason: (config) => unsetSecret(config, deps.secret),
    run: (input, ctx) => callUpstream(deps, ctx.config, input as Record<string, unknown>, ctx.toolName, ctx.signal, ctx.requestId),
  });
}

export { type HttpConfig, httpConfigSchema } from './config.ts';
