/**
 * Phase `http`: what Toolport adds to a call of an `http` tool (a tool
 * without code: one HTTP request to an upstream API, described by its config).
 * The upstream is bench/servers/upstream.ts, a bare node:http API on the
 * load generator's core (an upstream is another machine); Toolport runs on a fresh database of the bench's kind with
 * TOOLPORT_HTTP_ALLOW=127.0.0.1/32 (loopback is refused otherwise) and one
 * registered `http` tool whose url template points at the upstream.
 * Two sides, c=1, interleaved runs: GET /quote/AAPL on the upstream directly,
 * and REST /tools/call of the tool with { symbol: 'AAPL' } — the same request
 * made by Toolport. The overhead is the difference of their median latencies
 * (the means beside it). Every answer of both is checked byte for byte.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { measureSides, type Side } from '../lib/measure.ts';
import { expectedAnswer, overheadText, pushSoloRow, withUpstream } from '../lib/overhead.ts';
import type { Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

/** Ids of the rows this phase adds (bench/verdicts.ts judges them). */
export const HTTP_DIRECT = 'http_direct';
export const HTTP_TOOL = 'http_tool';
export const HTTP_TOOL_NAME = 'bench_http_quote';
const SYMBOL = 'AAPL';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** POST /tools of the `http` tool: GET <upstream>/quote/{symbol}, the symbol from the arguments. */
async function registerTool(toolportUrl: string, upstreamUrl: string): Promise<void> {
  const response = await fetch(`${toolportUrl}/tools`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({
      name: HTTP_TOOL_NAME,
      description: 'A stock quote from the bench upstream (http tool, bench only)',
      handler: 'http',
      inputSchema: { type: 'object', properties: { symbol: { type: 'string', minLength: 1 } }, required: ['symbol'] },
      config: { method: 'GET', url: `${upstreamUrl}/quote/{symbol}` },
    }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /tools ${HTTP_TOOL_NAME}: ${response.status} ${text.slice(0, 600)}`);
}

/** How the overhead reads in the log, the notes and the target. */
export const HTTP_LABEL = 'http tool − direct';

export async function http(bench: Bench): Promise<void> {
  log('\n== http (an http tool against a direct call of its upstream)');
  // The upstream API on the load generator's core, and a fresh database (see withUpstream).
  await withUpstream(bench, { name: 'upstream', script: 'bench/servers/upstream.ts' }, async (upstreamUrl, db) => {
    const toolport = await startToolport(db, { cwd: ROOT, servers: ['utility'], env: { TOOLPORT_HTTP_ALLOW: '127.0.0.1/32' } });
    await using(toolport, async () => {
      const url = toolport.urls.utility;
      await registerTool(url, upstreamUrl);

      const quote = (json: any) => json?.symbol === SYMBOL && json?.price === 190.12;
      const direct = await expectedAnswer(upstreamUrl, { method: 'GET', path: `/quote/${SYMBOL}`, headers: {} }, `GET /quote/${SYMBOL} on the upstream`, quote);
      const call: Template = {
        method: 'POST',
        path: '/tools/call',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: HTTP_TOOL_NAME, arguments: { symbol: SYMBOL } }),
      };
      const viaTool = await expectedAnswer(url, call, `${HTTP_TOOL_NAME} (http tool)`, (json) => json?.isError !== true && quote(json?.structuredContent));
      const directSide: Side = { target: 'upstream', url: upstreamUrl, requests: [direct], requestsPerUnit: 1, bodyBytesPerUnit: direct.expect.body!.length };
      const toolSide: Side = { target: 'toolport', url, requests: [viaTool], requestsPerUnit: 1, bodyBytesPerUnit: viaTool.expect.body!.length };

      log(`  GET /quote/${SYMBOL}: directly on the upstream, then through the http tool (interleaved), c=1`);
      const [directFigure, toolFigure] = await measureSides(bench.generator, [directSide, toolSide], 1, bench.settings, log);
      const overhead = overheadText(HTTP_LABEL, directFigure!, toolFigure!);
      log(`    ${overhead ?? 'no figure: errors'}`);
      const rssAfterMb = toolport.rss();
      pushSoloRow(bench, {
        id: HTTP_DIRECT,
        label: `GET /quote/${SYMBOL} on the local upstream directly (no Toolport: the reference)`,
        figure: directFigure!,
        rssAfterMb,
      });
      pushSoloRow(bench, {
        id: HTTP_TOOL,
        label: 'REST /tools/call of an http tool (GET /quote/{symbol} on the same upstream)',
        figure: toolFigure!,
        rssAfterMb,
        notes: [`http tool: the same upstream request directly and through Toolport, runs interleaved${overhead ? `; ${overhead}` : ''}`],
      });
    });
  });
}
