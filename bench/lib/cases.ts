import type { LoadRequest } from './load-types.ts';
import type { Side } from './measure.ts';
import {
  type Captured,
  capture,
  check,
  closeLegacySession,
  legacy,
  modern,
  openLegacySession,
  PORTFOLIO_ARGS,
  PORTFOLIO_TOOL,
  restCall,
  restList,
  rpcResult,
  type Template,
} from './requests.ts';
import type { FloorCase } from './targets.ts';

/**
 * The measured requests. Preparing a case sends each request once to every
 * side, checks the answer's CONTENT (the portfolio's numbers, every tool of
 * the registry exactly once), and turns the exact answer into the expected
 * body of every response under load — and into the floor's prebuilt answer.
 */

export interface PreparedCase {
  id: string;
  label: string;
  notes: string[];
  toolport: Side;
  sdk?: Side;
  floorCases: Record<string, FloorCase>;
  floorSide(url: string): Side;
}

const bytes = (captured: Captured[]) => captured.reduce((sum, c) => sum + Buffer.byteLength(c.body), 0);

function expectTemplate(template: Template, captured: Captured): LoadRequest {
  return { ...template, expect: { status: captured.status, body: captured.template } };
}

function floorFor(id: string, templates: Template[], captured: Captured[]) {
  const floorCases: Record<string, FloorCase> = {};
  const requests: LoadRequest[] = templates.map((template, i) => {
    const name = `${id}#${i}`;
    floorCases[name] = { status: captured[i]!.status, contentType: captured[i]!.contentType, body: captured[i]!.body };
    return { ...template, headers: { ...template.headers, 'x-bench-case': name }, expect: { status: captured[i]!.status, body: captured[i]!.body } };
  });
  return {
    floorCases,
    floorSide: (url: string): Side => ({ target: 'floor', url, requests, requestsPerUnit: templates.length, bodyBytesPerUnit: bytes(captured) }),
  };
}

type Json = Record<string, any>;

function isPortfolio(result: Json | undefined): boolean {
  return result?.isError !== true && result?.structuredContent?.totalValue === 1900 && result?.structuredContent?.totalGainLoss === 1750;
}

export async function restCallCase(toolportUrl: string): Promise<PreparedCase> {
  const template = restCall();
  const captured = await capture(toolportUrl, template);
  check(captured.status === 200 && isPortfolio(captured.json as Json), 'REST POST /tools/call', captured);
  return {
    id: 'rest_call',
    label: `REST POST /tools/call (${PORTFOLIO_TOOL})`,
    notes: [],
    toolport: { target: 'toolport', url: toolportUrl, requests: [expectTemplate(template, captured)], requestsPerUnit: 1, bodyBytesPerUnit: bytes([captured]) },
    ...floorFor('rest_call', [template], [captured]),
  };
}

export async function modernCallCase(toolportUrl: string, sdkUrl: string | undefined): Promise<PreparedCase> {
  const template = modern('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }, PORTFOLIO_TOOL);
  const captured = await capture(toolportUrl, template);
  check(captured.status === 200 && isPortfolio(rpcResult(captured)), 'MCP 2026-07-28 tools/call', captured);
  let sdk: Side | undefined;
  if (sdkUrl) {
    const sdkCaptured = await capture(sdkUrl, template);
    check(sdkCaptured.status === 200 && isPortfolio(rpcResult(sdkCaptured)), 'SDK MCP 2026-07-28 tools/call', sdkCaptured);
    sdk = { target: 'sdk', url: sdkUrl, requests: [expectTemplate(template, sdkCaptured)], requestsPerUnit: 1, bodyBytesPerUnit: bytes([sdkCaptured]) };
  }
  return {
    id: 'mcp_call_modern',
    label: `MCP tools/call, 2026-07-28 stateless (${PORTFOLIO_TOOL})`,
    notes: [],
    toolport: { target: 'toolport', url: toolportUrl, requests: [expectTemplate(template, captured)], requestsPerUnit: 1, bodyBytesPerUnit: bytes([captured]) },
    ...(sdk ? { sdk } : {}),
    ...floorFor('mcp_call_modern', [template], [captured]),
  };
}

/** One 2025-era session per connection, as each client would hold its own. */
function legacySessions(url: string) {
  return async (connections: number) => {
    const ids: string[] = [];
    for (let i = 0; i < connections; i += 8) {
      ids.push(...(await Promise.all(Array.from({ length: Math.min(8, connections - i) }, () => openLegacySession(url)))));
    }
    return { ids, close: async () => void (await Promise.all(ids.map((id) => closeLegacySession(url, id)))) };
  };
}

export async function legacyCallCase(toolportUrl: string, sdkUrl: string | undefined): Promise<PreparedCase> {
  const template = legacy('tools/call', { name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS });
  const session = await openLegacySession(toolportUrl);
  // The session's first call is answered by the SDK (an SSE event), which teaches the fast path the result's
  // envelope; from then on plain calls get the same message as JSON: capture one of those.
  await capture(toolportUrl, template, { 'mcp-session-id': session });
  const captured = await capture(toolportUrl, template, { 'mcp-session-id': session });
  await closeLegacySession(toolportUrl, session);
  check(captured.status === 200 && isPortfolio(rpcResult(captured)), 'MCP 2025-11-25 tools/call in a session', captured);
  let sdk: Side | undefined;
  if (sdkUrl) {
    // The SDK's documented entry serves 2025-era traffic statelessly (no Mcp-Session-Id): same request, no session.
    const sdkCaptured = await capture(sdkUrl, template);
    check(sdkCaptured.status === 200 && isPortfolio(rpcResult(sdkCaptured)), 'SDK MCP 2025-11-25 tools/call (stateless)', sdkCaptured);
    sdk = {
      target: 'sdk',
      url: sdkUrl,
      requests: [expectTemplate(template, sdkCaptured)],
      requestsPerUnit: 1,
      bodyBytesPerUnit: bytes([sdkCaptured]),
      note: "SDK: the documented entry's stateless 2025 fallback (it has no sessions)",
    };
  }
  return {
    id: 'mcp_call_legacy',
    label: `MCP tools/call, 2025-11-25 session (${PORTFOLIO_TOOL})`,
    notes: ['Toolport: one Mcp-Session-Id per connection; SDK baseline: its stateless 2025 fallback'],
    toolport: {
      target: 'toolport',
      url: toolportUrl,
      requests: [expectTemplate(template, captured)],
      requestsPerUnit: 1,
      bodyBytesPerUnit: bytes([captured]),
      sessions: legacySessions(toolportUrl),
    },
    ...(sdk ? { sdk } : {}),
    ...floorFor('mcp_call_legacy', [template], [captured]),
  };
}

/**
 * A client's full tools/list: Toolport pages it (nextCursor), so one list is
 * several requests, cycled in order by each connection; the SDK's McpServer
 * answers every tool in one response. Compared per full list.
 */
export async function modernListCase(toolportUrl: string, sdkUrl: string | undefined, expectedTools: number, id: string): Promise<PreparedCase> {
  const templates: Template[] = [];
  const pages: Captured[] = [];
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const template = modern('tools/list', cursor ? { cursor } : {});
    const captured = await capture(toolportUrl, template);
    const result = rpcResult(captured);
    check(captured.status === 200 && Array.isArray(result?.tools) && result!.tools.length > 0, `MCP tools/list page ${pages.length + 1}`, captured);
    names.push(...result!.tools.map((tool: { name: string }) => tool.name));
    templates.push(template);
    pages.push(captured);
    cursor = result!.nextCursor;
    if (pages.length > 1000) throw new Error('tools/list: more than 1,000 pages');
  } while (cursor);
  if (names.length !== expectedTools || new Set(names).size !== names.length) {
    throw new Error(`tools/list on Toolport: ${names.length} tools (${new Set(names).size} distinct) over ${pages.length} pages, expected ${expectedTools}`);
  }
  let sdk: Side | undefined;
  if (sdkUrl) {
    const template = modern('tools/list', {});
    const sdkCaptured = await capture(sdkUrl, template);
    const result = rpcResult(sdkCaptured);
    check(
      sdkCaptured.status === 200 && result?.tools?.length === expectedTools && !result?.nextCursor,
      `SDK tools/list of ${expectedTools} tools`,
      sdkCaptured,
    );
    sdk = { target: 'sdk', url: sdkUrl, requests: [expectTemplate(template, sdkCaptured)], requestsPerUnit: 1, bodyBytesPerUnit: bytes([sdkCaptured]) };
  }
  return {
    id,
    label: `MCP tools/list, ${expectedTools.toLocaleString('en')} tools (2026-07-28)`,
    notes: [`Toolport: a full list is ${pages.length} requests (pages of ≤ ${rpcResult(pages[0]!)!.tools.length} tools); SDK: 1 request`],
    toolport: {
      target: 'toolport',
      url: toolportUrl,
      requests: templates.map((template, i) => expectTemplate(template, pages[i]!)),
      requestsPerUnit: pages.length,
      bodyBytesPerUnit: bytes(pages),
    },
    ...(sdk ? { sdk } : {}),
    ...floorFor(id, templates, pages),
  };
}

export async function restListCase(toolportUrl: string, expectedTools: number, id: string): Promise<PreparedCase> {
  const template = restList();
  const captured = await capture(toolportUrl, template);
  const json = captured.json as Json;
  check(
    captured.status === 200 && json?.count === expectedTools && json?.tools?.length === expectedTools,
    `REST GET /tools (${expectedTools} tools)`,
    captured,
  );
  return {
    id,
    label: `REST GET /tools, ${expectedTools.toLocaleString('en')} tools`,
    notes: [],
    toolport: { target: 'toolport', url: toolportUrl, requests: [expectTemplate(template, captured)], requestsPerUnit: 1, bodyBytesPerUnit: bytes([captured]) },
    ...floorFor(id, [template], [captured]),
  };
}

/** POST /tools with a new name per request (the registry grows by one tool per request). */
export function registerRequests(prefix: string): LoadRequest[] {
  return [
    {
      method: 'POST',
      path: '/tools',
      headers: { 'content-type': 'application/json' },
      body: `{"name":"${prefix}__BENCH_SEQ__","description":"bench registration","handler":"get_time"}`,
      expect: { status: 201, contains: `"name":"${prefix}__BENCH_SEQ__"` },
    },
  ];
}
