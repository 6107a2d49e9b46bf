import { request } from 'node:http';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineHandler, type Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

/**
 * GET /handlers: every handler this process knows, with the JSON Schemas a
 * client needs to bind a tool to it (input, output, handler_config), on every
 * listener; read-only and behind the same Origin/Host guard as the other
 * REST routes.
 */

// A handler that reads its tool row's handler_config (no built-in does yet).
const configured = defineHandler({
  name: 'configured_echo',
  title: 'Configured echo',
  description: 'Echoes with a configured prefix',
  input: v.object({ text: v.string() }),
  config: v.object({ prefix: v.string(), times: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1) }),
  run: ({ text }, ctx) => ({ text: ctx.config.prefix.repeat(ctx.config.times) + text }),
});
const handlers = new Map<string, Handler>([...builtIn, [configured.name, configured]]);

/** A request with headers fetch would not send as given (Host). */
function get(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'GET', path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

for (const backend of backends) {
  describe(`GET /handlers (${backend})`, () => {
    const t = useToolport(backend, { TOOLPORT_ALLOWED_ORIGINS: 'https://allowed.example' }, { handlers });
    let utility: string;
    let finance: string;
    beforeAll(() => {
      utility = t.app.urls.utility!;
      finance = t.app.urls.finance!;
    });

    it('lists every built-in handler, sorted by name, with runs, source and its schemas; the same on every listener', async () => {
      const response = await fetch(`${utility}/handlers`);
      expect(response.status).toBe(200);
      const listing = await json(response);
      expect(listing.failed).toEqual([]);
      // What the process runs with: the handlers given, plus the generic kinds (http …) added at start.
      const known = t.app.toolport.runtime.handlers;
      const names = listing.handlers.map((handler: { name: string }) => handler.name);
      expect(names).toEqual([...known.keys()].sort());
      expect(names).toEqual(expect.arrayContaining([...handlers.keys()]));
      for (const described of listing.handlers) {
        const handler = known.get(described.name)!;
        expect(described).toEqual({
          name: handler.name,
          ...(handler.title === undefined ? {} : { title: handler.title }),
          description: handler.description,
          runs: handler.runs,
          source: 'built-in',
          inputSchema: handler.inputSchema,
          ...(handler.outputSchema ? { outputSchema: handler.outputSchema } : {}),
          ...(handler.configSchema ? { configSchema: handler.configSchema } : {}),
        });
        expect(described.inputSchema.type).toBe('object');
      }
      const byName = (name: string) => listing.handlers.find((handler: { name: string }) => handler.name === name);
      expect(byName('get_stock_price')).toMatchObject({ runs: 'inline', inputSchema: { required: ['symbol'] }, outputSchema: { type: 'object' } });
      expect(byName('data_processor').runs).toBe('worker');
      expect(byName('configured_echo').configSchema).toEqual({
        type: 'object',
        properties: { prefix: { type: 'string' }, times: { type: 'integer', minimum: 1, default: 1 } },
        required: ['prefix'],
      });
      expect(await json(await fetch(`${finance}/handlers`))).toEqual(listing);
    });

    it('answers a listed browser origin and localhost; refuses a foreign Origin and a rebound Host with 403', async () => {
      expect((await get(utility, '/handlers', { origin: 'https://allowed.example' })).status).toBe(200);
      expect((await get(utility, '/handlers', { origin: 'http://localhost:5173' })).status).toBe(200);
      const foreign = await get(utility, '/handlers', { origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('forbidden');
      expect(foreign.body).not.toHaveProperty('handlers');
      const rebound = await get(finance, '/handlers', { host: 'attacker.example' });
      expect(rebound.status).toBe(403);
      expect(rebound.body.error.code).toBe('forbidden');
    });

    it('is read-only: POST /handlers is no route', async () => {
      const response = await fetch(`${utility}/handlers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('not_found');
    });
  });
}
