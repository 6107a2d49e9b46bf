import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

describe.each(backends)('REST reads and calls (%s)', (backend) => {
  const t = useToolport(backend);
  let finance: string;
  let utility: string;
  beforeAll(() => {
    finance = t.app.urls.finance!;
    utility = t.app.urls.utility!;
  });

  describe('happy', () => {
    it('GET /health reports the process and the database', async () => {
      const response = await fetch(`${finance}/health`);
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body).toMatchObject({ status: 'ok', server: 'finance', database: { ok: true, kind: backend } });
    });

    it('GET /info describes the server and its tools', async () => {
      const body = await json(await fetch(`${utility}/info`));
      // The port it listens on here (TOOLPORT_SERVERS=utility:0 moved it off its row's), and the row's as configuredPort.
      expect(body.server).toMatchObject({ id: 'utility', name: 'Utility', port: Number(new URL(utility).port), configuredPort: 3002 });
      expect(body.tools.names).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
      expect(body.tools.count).toBe(4);
      expect(typeof body.version).toBe('string');
      expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    });

    it('GET /tools lists only this server’s tools, with their JSON Schema', async () => {
      const fin = await json(await fetch(`${finance}/tools`));
      expect(fin.tools.map((t: any) => t.name)).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
      const util = await json(await fetch(`${utility}/tools`));
      expect(util.tools.map((t: any) => t.name)).not.toContain('get_stock_price');
      for (const tool of [...fin.tools, ...util.tools]) {
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.available).toBe(true);
        expect(tool.description.length).toBeGreaterThan(10);
      }
    });

    it('GET /tools/:name returns one definition with its version as ETag', async () => {
      const response = await fetch(`${utility}/tools/get_time`);
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(response.headers.get('etag')).toBe(`"${body.version}"`);
      expect(body).toMatchObject({ name: 'get_time', handler: 'get_time', enabled: true, available: true });
    });

    it('POST /tools/call runs a tool and answers like MCP CallToolResult', async () => {
      const response = await fetch(`${utility}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'get_time', arguments: { timezone: 'Asia/Kolkata' } }),
      });
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.isError).toBe(false);
      expect(body.content[0].type).toBe('text');
      expect(body.structuredContent.utcOffset).toBe('+05:30');
      expect(JSON.parse(body.content[0].text)).toEqual(body.structuredContent);
    });

    it('the offline providers answer with their source', async () => {
      const body = await json(
        await fetch(`${finance}/tools/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } }),
        }),
      );
      expect(body.isError).toBe(false);
      expect(JSON.stringify(body.structuredContent)).toMatch(/sample/i);
    });
  });

  describe('errors', () => {
    const call = (url: string, body: string) => fetch(`${url}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    it('unknown tool → 404 in the error envelope', async () => {
      const response = await call(finance, JSON.stringify({ name: 'nope', arguments: {} }));
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual({
        error: {
          code: 'not_found',
          message: 'No tool named "nope" on server "finance"',
          server: 'finance',
          requestId: response.headers.get('x-request-id'),
          timestamp: expect.any(String),
        },
      });
    });

    it('a tool of the other server is unknown here (isolation)', async () => {
      const response = await call(utility, JSON.stringify({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } }));
      expect(response.status).toBe(404);
      expect((await json(await fetch(`${utility}/tools/get_stock_price`))).error.code).toBe('not_found');
    });

    it('malformed JSON → 400 bad_request', async () => {
      const response = await call(utility, '{"name": "get_time", ');
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message).toMatch(/Malformed JSON/);
      expect(body.error.server).toBe('utility');
    });

    it('wrong argument types → 400 with the field path', async () => {
      const response = await call(utility, JSON.stringify({ name: 'get_time', arguments: { timezone: 42 } }));
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error.details).toContainEqual(expect.objectContaining({ path: '/arguments/timezone' }));
    });

    it('missing fields and wrong shapes of the call body → 400 naming the field', async () => {
      const noName = await json(await call(utility, JSON.stringify({ arguments: {} })));
      expect(noName.error.details[0].path).toBe('/name');
      const badArgs = await json(await call(utility, JSON.stringify({ name: 'get_time', arguments: [1] })));
      expect(badArgs.error.details[0].path).toBe('/arguments');
      const extra = await json(await call(utility, JSON.stringify({ name: 'get_time', argumnets: {} })));
      expect(extra.error.details[0].path).toBe('/argumnets');
    });

    it('a handler-level input error (unknown time zone) is a 400 naming the field', async () => {
      const response = await call(utility, JSON.stringify({ name: 'get_time', arguments: { timezone: 'Mars/Olympus_Mons' } }));
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error.message).toMatch(/Mars\/Olympus_Mons/);
      expect(body.error.details[0].path).toBe('/arguments/timezone');
    });

    it('an oversized body → 413', async () => {
      const big = JSON.stringify({ name: 'text_analyzer', arguments: { text: 'a '.repeat(600_000) } });
      const response = await call(utility, big);
      expect(response.status).toBe(413);
      expect((await json(response)).error.code).toBe('payload_too_large');
    });

    it('unknown routes → 404 envelope; the listener keeps serving after errors', async () => {
      const response = await fetch(`${finance}/nowhere`);
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('not_found');
      expect((await fetch(`${finance}/health`)).status).toBe(200);
    });
  });
});
