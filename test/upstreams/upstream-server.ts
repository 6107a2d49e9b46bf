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
  /** Calls of `slow` whose request the caller cancelled (the handler's signal aborted before it answered). */
  cancelled: number;
  addTool(name: string): void;
  removeTool(name: string): void;
  close(): Promise<void>;
}

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

export async function startUpstreamServer(port = 0): Promise<UpstreamServer> {
  const extra = new Set<string>();
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
      ...[...extra].map((name) => ({ name, description: `added at runtime: ${name}`, inputSchema: { type: 'object', properties: {} } })),
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
  const bus = new InMemoryServerEventBus();
  const handler = createMcpHandler(factory, { bus });
  const listener = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const running = serve({ fetch: (request) => handler.fetch(request), port, hostname: '127.0.0.1' }, () => resolve(running));
  });
  const address = listener.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/mcp`,
    port: address.port,
    calls,
    get cancelled() {
      return state.cancelled;
    },
    addTool(name) {
      extra.add(name);
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
