/**
 * The load generator: a separate process (pinned to its own core by the
 * parent) driving autocannon and checking EVERY response — status and body —
 * against what the target must answer. It takes jobs over IPC from
 * bench/run.ts and answers with one result per job.
 *
 * Placeholders in request bodies / expected bodies:
 *   __BENCH_ID__   a JSON-RPC id, incremented per connection (each connection
 *                  is one client sending one request at a time), echoed in the answer
 *   __BENCH_SEQ__  a number never used before by this process (e.g. a new tool name)
 * Latency is recorded here in microseconds (autocannon's own histogram has
 * 1 ms resolution, too coarse for c=1).
 */
import { createRequire } from 'node:module';
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { LoadJob, LoadRequest, LoadResult } from './lib/load-types.ts';

/**
 * autocannon keeps every response body as `string += chunk`: for the large
 * lists measured here that decoding, not the server, limits the generator
 * (measured on the floor: ~3× fewer 34 KB answers per second than wrk). Keep
 * the bytes instead (one copy per response) and compare bytes: request
 * pacing and timing stay autocannon's own.
 */
const require = createRequire(import.meta.url);
interface PendingResponse {
  chunks?: Buffer[];
  body: unknown;
}
const Queue = require('autocannon/lib/pipelinedRequestsQueue.js') as {
  prototype: { peek(): PendingResponse | undefined; addBody(data: Buffer): void; terminateRequest(): PendingResponse | undefined };
};
const terminateRequest = Queue.prototype.terminateRequest;
Queue.prototype.addBody = function addBody(data: Buffer) {
  const pending = this.peek();
  if (pending) (pending.chunks ??= []).push(data);
};
Queue.prototype.terminateRequest = function terminate() {
  const done = terminateRequest.call(this);
  if (done) done.body = done.chunks ? Buffer.concat(done.chunks) : Buffer.alloc(0);
  return done;
};

const ID = '__BENCH_ID__';
const SEQ = '__BENCH_SEQ__';
/** Unique for the life of this process, so successive jobs never reuse a value (e.g. a tool name). */
let seq = 1;

interface Context {
  id?: number;
  seq?: number;
  session?: string;
}

function splitOnce(text: string, token: string): [string, string] | undefined {
  const at = text.indexOf(token);
  if (at < 0) return undefined;
  if (text.indexOf(token, at + token.length) >= 0) throw new Error(`placeholder ${token} must appear at most once`);
  return [text.slice(0, at), text.slice(at + token.length)];
}

/** An exact expected body as bytes, with at most one placeholder filled in per response. */
function expectedBytes(text: string): (body: Buffer, ctx: Context) => boolean {
  for (const token of [ID, SEQ]) {
    const parts = splitOnce(text, token);
    if (!parts) continue;
    const [pre, post] = parts.map((part) => Buffer.from(part, 'utf8')) as [Buffer, Buffer];
    return (body, ctx) => {
      const value = Buffer.from(String(token === ID ? ctx.id : ctx.seq));
      return (
        body.length === pre.length + value.length + post.length &&
        body.subarray(0, pre.length).equals(pre) &&
        body.subarray(pre.length, pre.length + value.length).equals(value) &&
        body.subarray(pre.length + value.length).equals(post)
      );
    };
  }
  const whole = Buffer.from(text, 'utf8');
  return (body) => body.equals(whole);
}

function fill(text: string, ctx: Context): string {
  let out = text;
  if (ctx.id !== undefined) out = out.replace(ID, String(ctx.id));
  if (ctx.seq !== undefined) out = out.replace(SEQ, String(ctx.seq));
  return out;
}

async function run(job: LoadJob): Promise<LoadResult> {
  const histogram = createHistogram();
  let responses = 0;
  let badStatus = 0;
  let badBody = 0;
  let firstBad: LoadResult['firstBad'];
  let bytes = 0;
  let nextSession = 0;

  const requests = job.requests.map((request: LoadRequest) => {
    const dynamic = (request.body ?? '').includes(ID) || (request.body ?? '').includes(SEQ) || Boolean(job.sessions?.length);
    // Fail fast on templates that cannot be matched.
    if (request.body) splitOnce(request.body, ID);
    const exact = request.expect.body !== undefined ? expectedBytes(request.expect.body) : undefined;
    const onResponse = (status: number, body: Buffer, context: Context) => {
      const ctx: Context = context;
      if (status !== request.expect.status) {
        badStatus++;
        firstBad ??= { status, body: body.toString('utf8', 0, 500), expected: `status ${request.expect.status}` };
        return;
      }
      const part = request.expect.contains !== undefined ? fill(request.expect.contains, ctx) : undefined;
      const ok = (!exact || exact(body, ctx)) && (part === undefined || body.includes(part));
      if (!ok) {
        badBody++;
        firstBad ??= { status, body: body.toString('utf8', 0, 500), expected: fill(request.expect.body ?? part ?? '', ctx).slice(0, 500) };
      }
    };
    return {
      method: request.method,
      path: request.path,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(dynamic
        ? {
            setupRequest: (req: Record<string, unknown>, context: Context) => {
              if (job.sessions?.length && context.session === undefined) context.session = job.sessions[nextSession++ % job.sessions.length];
              context.id = (context.id ?? 0) + 1;
              context.seq = seq++;
              const body = request.body === undefined ? undefined : fill(request.body, context);
              const headers = context.session ? { ...request.headers, 'mcp-session-id': context.session } : request.headers;
              return { ...req, headers, ...(body !== undefined ? { body } : {}) };
            },
          }
        : {}),
      onResponse,
    };
  });

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationS,
        ...(job.amount ? { amount: job.amount } : {}),
        pipelining: 1,
        timeout: job.timeoutS ?? 10,
        requests: requests as never,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      responses++;
      bytes += resBytes;
      histogram.record(Math.max(1, Math.round(responseTime * 1000)));
    });
  });
  const durationS = result.duration;
  return {
    responses,
    durationS,
    rps: responses / durationS,
    p50Ms: responses ? histogram.percentile(50) / 1000 : NaN,
    p99Ms: responses ? histogram.percentile(99) / 1000 : NaN,
    meanMs: responses ? histogram.mean / 1000 : NaN,
    maxMs: responses ? histogram.max / 1000 : NaN,
    bytesPerResponse: responses ? Math.round(bytes / responses) : 0,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    badStatus,
    badBody,
    ...(firstBad ? { firstBad } : {}),
  };
}

process.on('message', (message: { id: number; job: LoadJob }) => {
  run(message.job).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.stack ?? error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
