/**
 * Phase `upstream`: what Toolport adds to a call of a tool of another MCP
 * server (an upstream, handler kind mcp-proxy). The upstream is
 * bench/servers/mcp-upstream.ts (SDK v2) on the load generator's core (an
 * upstream is another machine); Toolport runs on a fresh database with one
 * upstream row pointing at it, its tool synced as `bench_quote`.
 * Three sides, c=1, interleaved runs: a plain 2026-07-28 tools/call of
 * `quote` sent to the upstream directly; the same REST body sent to a bare
 * forwarder on Toolport's core (bench/servers/mcp-forwarder.ts: the hop with
 * nothing of Toolport); and REST /tools/call of `bench_quote` on Toolport —
 * the same MCP request, made by Toolport's client. The target's overhead is
 * Toolport − direct; forwarder − direct is what the hop itself costs on this
 * machine and Toolport − forwarder what Toolport adds to it. Every answer is
 * checked byte for byte.
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { measureSides, type Side } from '../lib/measure.ts';
import { expectedAnswer, overheadText, pushSoloRow, withUpstream } from '../lib/overhead.ts';
import { cpuMs, listeningPorts, SERVER_CPU, spawnNode } from '../lib/processes.ts';
import { modern, type Template } from '../lib/requests.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const UPSTREAM_DIRECT = 'upstream_direct';
export const UPSTREAM_TOOL = 'upstream_tool';
export const UPSTREAM_FORWARDER = 'upstream_forwarder';
export const UPSTREAM_LABEL = 'proxied tool − direct';
const SYMBOL = 'AAPL';
const JSON_HEADERS = { 'content-type': 'application/json' };

async function addUpstream(toolportUrl: string, upstreamUrl: string): Promise<void> {
  const response = await fetch(`${toolportUrl}/upstreams`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ id: 'bench', server: 'utility', url: `${upstreamUrl}/mcp` }),
  });
  if (response.status !== 201) throw new Error(`POST /upstreams: ${response.status} ${(await response.text()).slice(0, 600)}`);
  for (let waited = 0; waited < 10_000; waited += 50) {
    if ((await fetch(`${toolportUrl}/tools/bench_quote`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('bench_quote was not synced from the upstream within 10 s');
}

export async function upstream(bench: Bench): Promise<void> {
  log('\n== upstream (a proxied MCP tool against a direct call of its upstream)');
  await withUpstream(bench, { name: 'mcp-upstream', script: 'bench/servers/mcp-upstream.ts' }, async (upstreamUrl, db) => {
    const toolport = await startToolport(db, { cwd: ROOT, servers: ['utility'] });
    const forwarder = spawnNode('mcp-forwarder', ['--import', 'tsx', 'bench/servers/mcp-forwarder.ts', `${upstreamUrl}/mcp`, '0'], {
      cwd: ROOT,
      cpu: SERVER_CPU,
    });
    await using(forwarder, async () => {
      const [forwarderPort] = await listeningPorts(forwarder, 1);
      const forwarderUrl = `http://127.0.0.1:${forwarderPort}`;
      await using(toolport, async () => {
        const url = toolport.urls.utility;
        await addUpstream(url, upstreamUrl);
        const quote = (json: any) => json?.symbol === SYMBOL && json?.price === 190.12;
        const direct = await expectedAnswer(
          upstreamUrl,
          modern('tools/call', { name: 'quote', arguments: { symbol: SYMBOL } }, 'quote'),
          'tools/call quote on the upstream',
          (json) => quote(json?.result?.structuredContent),
        );
        const call: Template = {
          method: 'POST',
          path: '/tools/call',
          headers: JSON_HEADERS,
          body: JSON.stringify({ name: 'bench_quote', arguments: { symbol: SYMBOL } }),
        };
        const viaTool = await expectedAnswer(url, call, 'bench_quote (proxied)', (json) => quote(json?.structuredContent));
        const viaForwarder = await expectedAnswer(forwarderUrl, call, 'bench_quote (bare forwarder)', (json) => quote(json?.structuredContent));
        const directSide: Side = { target: 'upstream', url: upstreamUrl, requests: [direct], requestsPerUnit: 1, bodyBytesPerUnit: direct.expect.body!.length };
        const toolSide: Side = { target: 'toolport', url, requests: [viaTool], requestsPerUnit: 1, bodyBytesPerUnit: viaTool.expect.body!.length };
        const forwarderSide: Side = {
          target: 'upstream',
          url: forwarderUrl,
          requests: [viaForwarder],
          requestsPerUnit: 1,
          bodyBytesPerUnit: viaForwarder.expect.body!.length,
        };
        log('  tools/call quote: directly on the upstream, through a bare forwarder, through Toolport (interleaved), c=1');
        const [directFigure, forwarderFigure, toolFigure] = await measureSides(bench.generator, [directSide, forwarderSide, toolSide], 1, bench.settings, log, {
          cpuOf: (side) => (side === 1 ? cpuMs(forwarder.pid) : side === 2 ? cpuMs(toolport.process.pid) : undefined),
        });
        const overhead = overheadText(UPSTREAM_LABEL, directFigure!, toolFigure!);
        const hop = overheadText('bare forwarder − direct (the hop itself)', directFigure!, forwarderFigure!);
        const added = overheadText('proxied tool − bare forwarder (what Toolport adds)', forwarderFigure!, toolFigure!);
        const cpu = `server CPU per call (median of the runs): Toolport ${toolFigure?.cpuUsPerRequest ?? '–'} µs, the bare forwarder ${forwarderFigure?.cpuUsPerRequest ?? '–'} µs`;
        for (const line of [overhead, hop, added, cpu]) log(`    ${line ?? 'no figure: errors'}`);
        const rssAfterMb = toolport.rss();
        pushSoloRow(bench, {
          id: UPSTREAM_DIRECT,
          label: 'MCP tools/call on the local upstream directly (no Toolport: the reference)',
          figure: directFigure!,
          rssAfterMb,
        });
        pushSoloRow(bench, {
          id: UPSTREAM_FORWARDER,
          label: "REST body to a bare forwarder on Toolport's core, which sends the same tools/call (the hop without Toolport)",
          figure: forwarderFigure!,
          rssAfterMb: undefined,
          notes: hop ? [hop] : [],
        });
        pushSoloRow(bench, {
          id: UPSTREAM_TOOL,
          label: 'REST /tools/call of a proxied upstream tool (the same tools/call, made by Toolport)',
          figure: toolFigure!,
          rssAfterMb,
          notes: [
            `upstream: the same MCP call directly, through a bare forwarder and through Toolport, runs interleaved${[overhead, hop, added]
              .filter(Boolean)
              .map((line) => `; ${line}`)
              .join('')}`,
          ],
        });
      });
    });
  });
}
