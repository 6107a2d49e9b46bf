/**
 * Phase `http`: what Toolport adds to a call of an `http` tool (a tool
 * without code: one HTTP request to an upstream API, described by its config).
 * The upstream is bench/servers/upstream.ts, a bare node:http API on the
 * load generator's core (an upstream is another machine); Toolport runs on a fresh database of the bench's kind with
 * TOOLPORT_HTTP_ALLOW=127.0.0.1/32 (loopback is refused otherwise) and one
 * registered `http` tool whose url template points at the upstream.
 * Three sides, c=1, interleaved runs: GET /quote/AAPL on the upstream
 * directly; the same REST body sent to a bare forwarder on Toolport's core
 * (bench/servers/http-forwarder.ts: the hop with nothing of Toolport); and
 * REST /tools/call of the tool with { symbol: 'AAPL' } — the same request
 * made by Toolport. The target's overhead is Toolport − direct (difference of
 * median latencies, the means beside it); forwarder − direct is what the hop
 * itself costs on this machine, Toolport − forwarder what Toolport adds.
 * Every answer is checked byte for byte.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { measureSides, type Side } from '../lib/measure.ts';
import { expectedAnswer, overheadText, pushSoloRow, withUpstream } from '../lib/overhead.ts';
import { cpuMs, listeningPorts, SERVER_CPU, spawnNode } from '../lib/processes.ts';
import type { Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

/** Ids of the rows this phase adds (bench/verdicts.ts judges them). */
export const HTTP_DIRECT = 'http_direct';
export const HTTP_TOOL = 'http_tool';
export const HTTP_FORWARDER = 'http_forwarder';
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
    const forwarder = spawnNode('http-forwarder', ['--import', 'tsx', 'bench/servers/http-forwarder.ts', upstreamUrl, '0'], { cwd: ROOT, cpu: SERVER_CPU });
    await using(forwarder, async () => {
      const [forwarderPort] = await listeningPorts(forwarder, 1);
      const forwarderUrl = `http://127.0.0.1:${forwarderPort}`;
      await using(toolport, async () => {
        const url = toolport.urls.utility;
        await registerTool(url, upstreamUrl);

        const quote = (json: any) => json?.symbol === SYMBOL && json?.price === 190.12;
        const direct = await expectedAnswer(
          upstreamUrl,
          { method: 'GET', path: `/quote/${SYMBOL}`, headers: {} },
          `GET /quote/${SYMBOL} on the upstream`,
          quote,
        );
        const call: Template = {
          method: 'POST',
          path: '/tools/call',
          headers: JSON_HEADERS,
          body: JSON.stringify({ name: HTTP_TOOL_NAME, arguments: { symbol: SYMBOL } }),
        };
        const viaTool = await expectedAnswer(url, call, `${HTTP_TOOL_NAME} (http tool)`, (json) => json?.isError !== true && quote(json?.structuredContent));
        const viaForwarder = await expectedAnswer(forwarderUrl, call, `${HTTP_TOOL_NAME} (bare forwarder)`, (json) => quote(json?.structuredContent));
        const forwarderSide: Side = {
          target: 'upstream',
          url: forwarderUrl,
          requests: [viaForwarder],
          requestsPerUnit: 1,
          bodyBytesPerUnit: viaForwarder.expect.body!.length,
        };
        const directSide: Side = { target: 'upstream', url: upstreamUrl, requests: [direct], requestsPerUnit: 1, bodyBytesPerUnit: direct.expect.body!.length };
        const toolSide: Side = { target: 'toolport', url, requests: [viaTool], requestsPerUnit: 1, bodyBytesPerUnit: viaTool.expect.body!.length };

        log(`  GET /quote/${SYMBOL}: directly on the upstream, through a bare forwarder, through the http tool (interleaved), c=1`);
        const [directFigure, forwarderFigure, toolFigure] = await measureSides(bench.generator, [directSide, forwarderSide, toolSide], 1, bench.settings, log, {
          cpuOf: (side) => (side === 1 ? cpuMs(forwarder.pid) : side === 2 ? cpuMs(toolport.process.pid) : undefined),
        });
        const overhead = overheadText(HTTP_LABEL, directFigure!, toolFigure!);
        const hop = overheadText('bare forwarder − direct (the hop itself)', directFigure!, forwarderFigure!);
        const added = overheadText('http tool − bare forwarder (what Toolport adds)', forwarderFigure!, toolFigure!);
        const cpu = `server CPU per call (median of the runs): Toolport ${toolFigure?.cpuUsPerRequest ?? '–'} µs, the bare forwarder ${forwarderFigure?.cpuUsPerRequest ?? '–'} µs`;
        for (const line of [overhead, hop, added, cpu]) log(`    ${line ?? 'no figure: errors'}`);
        const rssAfterMb = toolport.rss();
        pushSoloRow(bench, {
          id: HTTP_DIRECT,
          label: `GET /quote/${SYMBOL} on the local upstream directly (no Toolport: the reference)`,
          figure: directFigure!,
          rssAfterMb,
        });
        pushSoloRow(bench, {
          id: HTTP_FORWARDER,
          label: "REST body to a bare forwarder on Toolport's core, which sends the same GET (the hop without Toolport)",
          figure: forwarderFigure!,
          rssAfterMb: undefined,
          notes: hop ? [hop] : [],
        });
        pushSoloRow(bench, {
          id: HTTP_TOOL,
          label: 'REST /tools/call of an http tool (GET /quote/{symbol} on the same upstream)',
          figure: toolFigure!,
          rssAfterMb,
          notes: [
            `http tool: the same upstream request directly, through a bare forwarder and through Toolport, runs interleaved${[overhead, hop, added, cpu]
              .filter(Boolean)
              .map((line) => `; ${line}`)
              .join('')}`,
          ],
        });
      });
    });
  });
}
