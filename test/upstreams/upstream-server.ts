import { serve } from '@hono/node-server';
import { createMcpHandler, InMemoryServerEventBus, Server } from '@modelcontextprotocol/server';

/**
 * A real upstream MCP server for the upstream tests: the SDK v2's
 * createMcpHandler (2026-07-28, and the SDK's stateless 2025 fallback) over
 * node:http on 127.0.0.1, with tools that answer text, an image and
 * structured content, one that takes as long as it is told, and tools added
 * at runtime (list_changed to listeners).
 */
export interface UpstreamServer {
  url: string;
  port: number;
  calls: string[];
  /** Every tools/call request as it arrived: its JSON-RPC id, the tool, its headers and body. */
  requests: { id: unknown; name: string; headers: Record<string, string>; body: Record<string, unknown> }[];
  /** Calls of `slow` whose request the caller cancelled (the handler's signal aborted before it answered). */
  cancelled: number;
  /** A tool added at runtime (default input schema: an empty object). */
  addTool(name: string, inputSchema?: Record<string, unknown>): void;
  removeTool(name: string): void;
  close(): Promise<void>;
}

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

export async function startUpstreamServer(port = 0): Promise<UpstreamServer> {
  const extra = new Map<string, Record<string, unknown>>();
  const requests: UpstreamServer['requests'] = [];
  const removed = new Set<string>();
  const calls: string[] = [];
  const state = { cancelled: 0 };
  const tools = () =>
    [
      { name: 'echo', description: 'Echo the text back', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
      { name: 'pixel', description: 'A 1×1 PNG', inputSchema: { type: 'object', properties: {} } },
      {
        name: 'sum',
        description: 'Add two numbers',
        inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
        outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
      },
      { name: 'slow', description: 'Answer after ms milliseconds', inputSchema: { type: 'object', properties: { ms: { type: 'integer' } } } },
      ...[...extra].map(([name, inputSchema]) => ({ name, description: `added at runtime: ${name}`, inputSchema })),
    ].filter((tool) => !removed.has(tool.name));
  const factory = () => {
    const server = new Server({ name: 'test-upstream', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler('tools/list', () => ({ tools: tools() as never }));
    server.setRequestHandler('tools/call', async (request, ctx): Promise<never> => {
      const { name, arguments: args = {} } = request.params;
      calls.push(name);
      if (name === 'echo') return { content: [{ type: 'text', text: String(args.text) }] } as never;
      if (name === 'pixel') return { content: [{ type: 'image', data: PIXEL, mimeType: 'image/png' }] } as never;
      if (name === 'sum') {
        const sum = Number(args.a) + Number(args.b);
        return { content: [{ type: 'text', text: JSON.stringify({ sum }) }], structuredContent: { sum } } as never;
      }
      if (name === 'slow') {
        const signal = ctx.mcpReq.signal;
        const aborted = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), Number(args.ms ?? 0));
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve(true);
            },
            { once: true },
          );
        });
        if (aborted) state.cancelled++;
        return { content: [{ type: 'text', text: aborted ? 'cancelled' : 'done' }] } as never;
      }
      if (extra.has(name)) return { content: [{ type: 'text', text: `ran ${name}` }] } as never;
      return { content: [{ type: 'text', text: `no tool ${name}` }], isError: true } as never;
    });
    return server;
  };
  const record = async (request: Request) => {
    if (request.method !== 'POST') return;
    const body = (await request
      .clone()
      .json()
      .catch(() => undefined)) as { method?: string; id?: unknown; params?: { name?: string } } | undefined;
    if (body?.method === 'tools/call') requests.push({ id: body.id, name: String(body.params?.name), headers: Object.fromEntries(request.headers), body });
  };
  const bus = new InMemoryServerEventBus();
  const handler = createMcpHandler(factory, { bus });
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const running = serve({ fetch: (request) => record(request).then(() => handler.fetch(request)), port, hostname: '127.0.0.1' }, () => resolve(running));
  });
  const address = listener.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/mcp`,
    port: address.port,
    calls,
    requests,
    get cancelled() {
      return state.cancelled;
    },
    addTool(name, inputSchema = { type: 'object', properties: {} }) {
      extra.set(name, inputSchema);
      removed.delete(name);
      handler.notify.toolsChanged();
    },
    removeTool(name) {
      removed.add(name);
      handler.notify.toolsChanged();
    },
    close: () =>
      new Promise<void>((resolve) => {
        (listener as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        listener.close(() => resolve());
      }),
  };
}
