import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { INITIALIZE, MODERN_META } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

/**
 * "No input may cause a 500; no web page may write the registry." Every REST
 * route and /mcp get malformed, oversized, deep, NUL-bearing and lone-surrogate
 * bodies, wrong content types, wrong types in every field, hostile Origin and
 * Host headers and huge URLs. Each must get a 4xx with the error body (REST
 * envelope, or JSON-RPC on /mcp), the listener must answer /health afterwards,
 * and no row may be written.
 */

const MAX_BODY = 65_536;
const DEPTH = 64; // TOOLPORT_MAX_JSON_DEPTH default
const JSON_CT = { 'content-type': 'application/json' };
const MCP_HEADERS = { ...JSON_CT, accept: 'application/json, text/event-stream' };
const MODERN_HEADERS = { ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28' };

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Send {
  headers?: Record<string, string>;
  body?: string;
  /** Send the body without Content-Length, in chunks. */
  chunked?: boolean;
}

/** node:http rather than fetch: full control of Host, Content-Type (fetch adds text/plain) and framing. */
function send(base: string, method: string, path: string, options: Send = {}): Promise<Answer> {
  const url = new URL(base);
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined && options.chunked) {
      const body = Buffer.from(options.body);
      for (let offset = 0; offset < body.length; offset += 8192) req.write(body.subarray(offset, offset + 8192));
      req.end();
    } else req.end(options.body);
  });
}

/** Bytes straight onto a socket: request lines and headers no HTTP client would send. */
function sendRaw(base: string, bytes: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: rest.join('\r\n\r\n') });
    });
    socket.on('error', reject);
    socket.end(bytes);
  });
}

function restError(answer: Answer, status: number, code?: string): { code: string; message: string; details?: { path: string; message: string }[] } {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text);
  expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(STATUS_BY_CODE[body.error.code as keyof typeof STATUS_BY_CODE], `code ${body.error.code} answers ${status}`).toBe(status);
  if (code) expect(body.error.code).toBe(code);
  return body.error;
}

/** The error names the field: in its message or in one of its details. */
function expectMentions(error: { message: string; details?: { path: string }[] }, path: string): void {
  const paths = (error.details ?? []).map((detail) => detail.path);
  expect(error.message.includes(path) || paths.some((item) => item.startsWith(path)), `${path} in ${error.message} ${JSON.stringify(paths)}`).toBe(true);
}

function rpcError(answer: Answer, status: number, code?: number): { code: number; message: string } {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  const body = JSON.parse(answer.text);
  expect(body).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number), message: expect.any(String) } });
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body.error;
}

/** `levels` objects inside each other: nest(1) = {}, nest(2) = {"a":{}}. */
function nest(levels: number): string {
  return '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
}

const NUL = 'bad\u0000value';
const HIGH = 'bad\ud800value';
const LOW = 'bad\udc00value';
const REVERSED = 'bad\udc00\ud800value';

const VALID_TOOL = { name: 'never_written', description: 'x', handler: 'get_time' };
/** Stands for 5,000 nested objects: JSON.stringify itself overflows the stack on them, so they are spliced into the text. */
const DEEP = '__DEEP_5000__';
const body = (value: unknown) => JSON.stringify(value).replaceAll(`"${DEEP}"`, nest(5000));

/** Bodies every JSON route must refuse, whatever it is: [label, content type or none, body, status, code]. */
const BODY_PROBLEMS: [string, Record<string, string>, string, number, string][] = [
  ['no content type', {}, body(VALID_TOOL), 415, 'unsupported_media_type'],
  ['text/plain (what a cross-site form or fetch can send)', { 'content-type': 'text/plain' }, body(VALID_TOOL), 415, 'unsupported_media_type'],
  ['form-encoded (curl -d)', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=x&description=y', 415, 'unsupported_media_type'],
  ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\n\r\nname\r\n--x--', 415, 'unsupported_media_type'],
  ['another charset', { 'content-type': 'application/json; charset=iso-8859-1' }, body(VALID_TOOL), 415, 'unsupported_media_type'],
  ['a JSON-like type', { 'content-type': 'application/json-patch+json' }, body(VALID_TOOL), 415, 'unsupported_media_type'],
  ['an empty body', JSON_CT, '', 400, 'bad_request'],
  ['whitespace only', JSON_CT, ' \n\t ', 400, 'bad_request'],
  ['malformed JSON', JSON_CT, '{"name":', 400, 'bad_request'],
  ['trailing garbage', JSON_CT, '{"name":"x"} {}', 400, 'bad_request'],
  ['an array', JSON_CT, '[]', 400, 'bad_request'],
  ['an array of the object', JSON_CT, body([VALID_TOOL]), 400, 'bad_request'],
  ['null', JSON_CT, 'null', 400, 'bad_request'],
  ['a number', JSON_CT, '1', 400, 'bad_request'],
  ['a string', JSON_CT, '"x"', 400, 'bad_request'],
  ['a string with NUL', JSON_CT, body(NUL), 400, 'bad_request'],
  ['true', JSON_CT, 'true', 400, 'bad_request'],
  ['a body over TOOLPORT_MAX_BODY_BYTES', JSON_CT, body({ ...VALID_TOOL, description: 'x'.repeat(MAX_BODY) }), 413, 'payload_too_large'],
  ['an array nested 5,000 deep', JSON_CT, '['.repeat(5000) + ']'.repeat(5000), 400, 'bad_request'],
  ['an object nested 5,000 deep', JSON_CT, nest(5000), 400, 'bad_request'],
  ['a NUL in a key', JSON_CT, body({ [NUL]: 1 }), 400, 'bad_request'],
  ['a lone surrogate in a key', JSON_CT, body({ [HIGH]: 1 }), 400, 'bad_request'],
];

/** Bad values, field by field, of a tool definition (POST /tools; PUT and PATCH take the same fields). */
const FIELD_PROBLEMS: [string, Record<string, unknown>, string][] = [
  ['name: number', { name: 1 }, '/name'],
  ['name: empty', { name: '' }, '/name'],
  ['name: too long', { name: 'a'.repeat(129) }, '/name'],
  ['name: a space', { name: 'a b' }, '/name'],
  ['name: NUL', { name: NUL }, '/name'],
  ['name: lone surrogate', { name: HIGH }, '/name'],
  ['description: missing', { description: undefined }, '/description'],
  ['description: array', { description: [] }, '/description'],
  ['description: blank', { description: '   ' }, '/description'],
  ['description: too long', { description: 'x'.repeat(10_001) }, '/description'],
  ['description: NUL', { description: NUL }, '/description'],
  ['description: lone high surrogate', { description: HIGH }, '/description'],
  ['description: lone low surrogate', { description: LOW }, '/description'],
  ['description: reversed pair', { description: REVERSED }, '/description'],
  ['title: number', { title: 5 }, '/title'],
  ['title: too long', { title: 'x'.repeat(201) }, '/title'],
  ['title: NUL', { title: NUL }, '/title'],
  ['title: lone surrogate', { title: HIGH }, '/title'],
  ['parameters: object', { parameters: {} }, '/parameters'],
  ['parameters: name number', { parameters: [{ name: 1, type: 'string' }] }, '/parameters/0/name'],
  ['parameters: unknown type', { parameters: [{ name: 'a', type: 'date' }] }, '/parameters/0/type'],
  ['parameters: NUL description', { parameters: [{ name: 'a', type: 'string', description: NUL }] }, '/parameters/0/description'],
  [
    'parameters: duplicate',
    {
      parameters: [
        { name: 'a', type: 'string' },
        { name: 'a', type: 'number' },
      ],
    },
    '/parameters/1/name',
  ],
  ['parameters and inputSchema', { parameters: [], inputSchema: { type: 'object' } }, '/parameters'],
  ['inputSchema: string', { inputSchema: 'x' }, '/inputSchema'],
  ['inputSchema: array', { inputSchema: [] }, '/inputSchema'],
  ['inputSchema: not an object schema', { inputSchema: { type: 'string' } }, '/inputSchema/type'],
  [
    'inputSchema: NUL in a description',
    { inputSchema: { type: 'object', properties: { a: { type: 'string', description: NUL } } } },
    '/inputSchema/properties/a/description',
  ],
  [
    'inputSchema: NUL in a property name',
    { inputSchema: { type: 'object', properties: { [NUL]: { type: 'string' } } } },
    '/inputSchema/properties/bad\\u0000value',
  ],
  ['inputSchema: lone surrogate', { inputSchema: { type: 'object', properties: { a: { type: 'string', const: HIGH } } } }, '/inputSchema/properties/a/const'],
  ['inputSchema: 5,000 deep', { inputSchema: DEEP }, '/inputSchema'],
  ['outputSchema: number', { outputSchema: 1 }, '/outputSchema'],
  ['handler: number', { handler: 2 }, '/handler'],
  ['handler: empty', { handler: '' }, '/handler'],
  ['handler: unknown', { handler: 'no_such_handler' }, '/handler'],
  ['handler: NUL', { handler: NUL }, '/handler'],
  ['config: array', { config: [] }, '/config'],
  ['config: NUL in a value', { config: { greeting: NUL } }, '/config/greeting'],
  ['config: NUL in a key', { config: { [NUL]: 1 } }, '/config/bad\\u0000value'],
  ['config: lone surrogate', { config: { a: [HIGH] } }, '/config/a/0'],
  ['config: 5,000 deep', { config: DEEP }, '/config'],
  ['annotations: string', { annotations: 'x' }, '/annotations'],
  ['annotations: 5,000 deep', { annotations: DEEP }, '/annotations'],
  ['annotations: NUL', { annotations: { title: NUL } }, '/annotations/title'],
  ['enabled: string', { enabled: 'yes' }, '/enabled'],
  ['an unknown field', { requried: true }, '/requried'],
];

const HOSTILE_ORIGINS = ['https://evil.example', 'null', 'http://localhost.evil.example', 'https://allowed.example:8443', 'file://', 'not a url'];

describe.each(backends)('bad input on every route (%s)', (backend) => {
  // Errors and warnings the server logs: a request that got a 4xx must not have been an internal failure underneath.
  const logged: string[] = [];
  const logger = createLogger('warn', (line) => logged.push(line));
  const t = useToolport(backend, { TOOLPORT_MAX_BODY_BYTES: String(MAX_BODY), TOOLPORT_ALLOWED_ORIGINS: 'https://allowed.example' }, { logger });
  let utility: string;
  let finance: string;
  let port: string;
  let before: string;

  /** Rows, versions and change-log entries: any write, even half of one, changes this. */
  async function fingerprint(): Promise<string> {
    const tools = await t.db.database.query(
      `select count(*)::int as n, coalesce(sum(version), 0)::int as v, md5(coalesce(string_agg(t::text, ',' order by id), '')) as h from tools t`,
    );
    const changes = await t.db.database.query(`select count(*)::int as n from registry_changes`);
    return JSON.stringify([tools.rows[0], changes.rows[0]]);
  }

  beforeAll(async () => {
    utility = t.app.urls.utility!;
    finance = t.app.urls.finance!;
    port = new URL(utility).port;
  });

  beforeEach(async () => {
    before = await fingerprint();
    logged.length = 0; // the start-up warnings
  });

  afterEach(async () => {
    for (const url of [utility, finance]) {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect((await json(health)).status).toBe('ok');
    }
    expect(await fingerprint()).toBe(before);
    expect(logged.splice(0)).toEqual([]);
  });

  describe('bodies every JSON route refuses', () => {
    const routes: [string, string][] = [
      ['POST', '/tools'],
      ['POST', '/tools/call'],
      ['PUT', '/tools/get_time'],
      ['PATCH', '/tools/get_time'],
    ];
    for (const [method, path] of routes) {
      it.each(BODY_PROBLEMS)(`${method} ${path}: %s`, async (_label, headers, text, status, code) => {
        const answer = await send(utility, method, path, { headers, body: text });
        const error = restError(answer, status, code);
        if (text.startsWith('[[[') || text.startsWith('{"a":{"a":')) expect(error.message).toMatch(/deeper than 64 levels.*TOOLPORT_MAX_JSON_DEPTH/);
        if (status === 413) {
          expect(error.message).toMatch(/TOOLPORT_MAX_BODY_BYTES/);
          expect(answer.headers.connection).toBe('close');
        }
      });
    }

    it('a chunked body over the limit (no Content-Length) gets 413 too', async () => {
      const answer = await send(utility, 'POST', '/tools', {
        headers: JSON_CT,
        body: body({ ...VALID_TOOL, description: 'y'.repeat(MAX_BODY * 2) }),
        chunked: true,
      });
      restError(answer, 413, 'payload_too_large');
    });

    it('application/json with charset=utf-8 (any case, quoted) is accepted', async () => {
      for (const type of ['application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json ; charset=utf8']) {
        // A valid content type reaches validation: the body's own fault (a missing description) is what is reported.
        const error = restError(await send(utility, 'POST', '/tools', { headers: { 'content-type': type }, body: body({ name: 'x' }) }), 400, 'bad_request');
        expect(error.message).toMatch(/\/description/);
      }
    });

    it('nesting exactly at TOOLPORT_MAX_JSON_DEPTH passes the guard; one level more does not', async () => {
      const at = await send(utility, 'POST', '/tools/call', { headers: JSON_CT, body: `{"name":"no_such_tool","arguments":${nest(DEPTH - 1)}}` });
      restError(at, 404, 'not_found');
      const over = await send(utility, 'POST', '/tools/call', { headers: JSON_CT, body: `{"name":"no_such_tool","arguments":${nest(DEPTH)}}` });
      const error = restError(over, 400, 'bad_request');
      expect(error.details?.[0]?.path).toMatch(/^\/arguments(\/a)+$/);
    });
  });

  describe('POST /tools: every field', () => {
    it.each(FIELD_PROBLEMS)('%s → 400 naming the field', async (_label, change, path) => {
      const answer = await send(utility, 'POST', '/tools', { headers: JSON_CT, body: body({ ...VALID_TOOL, ...change }) });
      expectMentions(restError(answer, 400, 'bad_request'), path);
    });
  });

  describe('PUT /tools/:name: every field', () => {
    it.each(FIELD_PROBLEMS.filter(([label]) => !label.startsWith('name')))('%s → 400 naming the field', async (_label, change, path) => {
      const answer = await send(utility, 'PUT', '/tools/get_time', { headers: JSON_CT, body: body({ description: 'x', handler: 'get_time', ...change }) });
      expectMentions(restError(answer, 400, 'bad_request'), path);
    });

    it('a name that differs from the path → 400', async () => {
      restError(await send(utility, 'PUT', '/tools/get_time', { headers: JSON_CT, body: body({ name: 'other', description: 'x' }) }), 400, 'bad_request');
    });
  });

  describe('PATCH /tools/:name: every field, and nothing to change', () => {
    const patchable = FIELD_PROBLEMS.filter(([label]) => !label.startsWith('name') && label !== 'description: missing');
    it.each(patchable)('%s → 400 naming the field', async (_label, change, path) => {
      const answer = await send(utility, 'PATCH', '/tools/get_time', { headers: JSON_CT, body: body(change) });
      expectMentions(restError(answer, 400, 'bad_request'), path);
    });

    it.each(['{}', '[]'])('%s → 400 "nothing to change" or "must be a JSON object", no new version', async (text) => {
      const error = restError(await send(utility, 'PATCH', '/tools/get_time', { headers: JSON_CT, body: text }), 400, 'bad_request');
      expect(error.message).toMatch(/nothing to change|must be a JSON object/);
    });

    it('a name in the body is an unknown field (PATCH cannot rename)', async () => {
      restError(await send(utility, 'PATCH', '/tools/get_time', { headers: JSON_CT, body: body({ name: 'renamed' }) }), 400, 'bad_request');
    });
  });

  describe('POST /tools/call: every field', () => {
    const cases: [string, unknown, string][] = [
      ['name: missing', { arguments: {} }, '/name'],
      ['name: number', { name: 1 }, '/name'],
      ['name: empty', { name: '' }, '/name'],
      ['name: NUL', { name: 'get_time\u0000' }, '/name'],
      ['name: lone surrogate', { name: HIGH }, '/name'],
      ['arguments: array', { name: 'get_time', arguments: [] }, '/arguments'],
      ['arguments: string', { name: 'get_time', arguments: 'UTC' }, '/arguments'],
      ['arguments: null', { name: 'get_time', arguments: null }, '/arguments'],
      ['arguments: NUL in a value', { name: 'get_time', arguments: { timezone: `UTC${'\u0000'}` } }, '/arguments/timezone'],
      ['arguments: NUL in a key', { name: 'get_time', arguments: { [NUL]: 1 } }, '/arguments/bad\\u0000value'],
      ['arguments: lone surrogate', { name: 'get_time', arguments: { timezone: HIGH } }, '/arguments/timezone'],
      ['arguments: wrong type for the schema', { name: 'get_time', arguments: { timezone: 12 } }, '/timezone'],
      ['arguments: 5,000 deep', { name: 'get_time', arguments: DEEP }, '/arguments'],
      ['an unknown field', { name: 'get_time', argumnets: {} }, '/argumnets'],
    ];
    it.each(cases)('%s → 400 naming the field', async (_label, value, path) => {
      expectMentions(restError(await send(utility, 'POST', '/tools/call', { headers: JSON_CT, body: body(value) }), 400, 'bad_request'), path);
    });

    it('an unknown tool → 404', async () => {
      restError(await send(utility, 'POST', '/tools/call', { headers: JSON_CT, body: body({ name: 'get_stock_price', arguments: {} }) }), 404, 'not_found');
    });
  });

  describe('tool names in the path that cannot exist: 404 before any query', () => {
    const names = ['%00', 'get_time%00', '%ED%A0%80', '%F0%9F%98%80', 'a%20b', 'a'.repeat(129), 'get_time%0a', 'get_time%E2%80%8B', `${'%00'.repeat(2000)}`];
    const methods: [string, Send][] = [
      ['GET', {}],
      ['PUT', { headers: JSON_CT, body: body({ description: 'x', handler: 'get_time' }) }],
      ['PATCH', { headers: JSON_CT, body: body({ title: 'x' }) }],
      ['DELETE', {}],
    ];
    for (const [method, options] of methods) {
      it.each(names.map((name) => [name.length > 40 ? `${name.slice(0, 40)}… (${name.length} chars)` : name, name]))(
        `${method} /tools/%s`,
        async (_label, name) => {
          const error = restError(await send(utility, method, `/tools/${name}`, options), 404, 'not_found');
          expect(error.message.length).toBeLessThan(700);
          if (method !== 'GET') expect(error.message).toMatch(/tool names are 1–128 characters/);
        },
      );
    }
  });

  describe('If-Match that is not a version', () => {
    it.each([
      ['PUT', body({ description: 'x', handler: 'get_time' })],
      ['PATCH', body({ title: 'never' })],
      ['DELETE', undefined],
    ])('%s → 400', async (method, text) => {
      const options: Send = { headers: { ...JSON_CT, 'if-match': 'version three' }, ...(text === undefined ? {} : { body: text }) };
      restError(await send(utility, method, '/tools/get_time', options), 400, 'bad_request');
    });

    it.each([['PUT'], ['PATCH'], ['DELETE']])('%s with a stale version → 412', async (method) => {
      const options: Send = {
        headers: { ...JSON_CT, 'if-match': '"999"' },
        body: method === 'DELETE' ? undefined : body({ description: 'x', handler: 'get_time' }),
      };
      if (method === 'PATCH') options.body = body({ title: 'never' });
      restError(await send(utility, method, '/tools/get_time', options), 412, 'precondition_failed');
    });
  });

  describe('unknown routes and methods', () => {
    it.each([
      ['GET', '/nope'],
      ['POST', '/nope'],
      ['PUT', '/tools'],
      ['DELETE', '/tools'],
      ['PATCH', '/tools'],
      ['GET', '/tools/get_time/extra'],
      ['POST', '/tools/get_time'],
      ['OPTIONS', '/tools'],
      ['GET', '/mcp/extra'],
      ['PUT', '/tools/%2e%2e'],
      ['GET', `/${'x'.repeat(12_000)}`],
    ])('%s %s → 404', async (method, path) => {
      const error = restError(await send(utility, method, path, { headers: { 'content-type': 'text/plain' }, body: 'junk' }), 404, 'not_found');
      expect(error.message.length).toBeLessThan(400);
    });
  });

  describe('hostile Origin and Host on every route', () => {
    const routes: [string, string, string | undefined][] = [
      ['GET', '/health', undefined],
      ['GET', '/ready', undefined],
      ['GET', '/info', undefined],
      ['GET', '/tools', undefined],
      ['GET', '/tools/get_time', undefined],
      ['POST', '/tools', body(VALID_TOOL)],
      ['POST', '/tools/call', body({ name: 'get_time', arguments: {} })],
      ['PUT', '/tools/get_time', body({ description: 'hijacked', handler: 'get_time' })],
      ['PATCH', '/tools/get_time', body({ description: 'hijacked' })],
      ['DELETE', '/tools/get_time', undefined],
      ['GET', '/nope', undefined],
    ];
    for (const [method, path, text] of routes) {
      it(`${method} ${path}: a foreign browser Origin → 403 forbidden`, async () => {
        for (const origin of HOSTILE_ORIGINS) {
          const error = restError(await send(utility, method, path, { headers: { ...JSON_CT, origin }, body: text }), 403, 'forbidden');
          expect(error.message).toMatch(/TOOLPORT_ALLOWED_ORIGINS/);
        }
      });

      it(`${method} ${path}: a Host that is not this listener (DNS rebinding) → 403 forbidden`, async () => {
        for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.attacker.example:${port}`, `[::2]:${port}`]) {
          const error = restError(await send(utility, method, path, { headers: { ...JSON_CT, host }, body: text }), 403, 'forbidden');
          expect(error.message).toMatch(/Invalid Host/);
        }
      });
    }

    it('an unparseable Host → 400 with the error body, never a bare status', async () => {
      for (const host of ['exa mple', '[::1', 'a/b', `localhost:${port}@attacker.example`]) {
        const answer = await send(utility, 'GET', '/tools', { headers: { host } });
        expect([400, 403]).toContain(answer.status);
        restError(answer, answer.status);
      }
    });

    it('no Host header at all → 400 with the error body', async () => {
      const answer = await sendRaw(utility, 'GET /tools HTTP/1.1\r\nconnection: close\r\n\r\n');
      restError(answer, 400, 'bad_request');
      const old = await sendRaw(utility, 'GET /health HTTP/1.0\r\n\r\n');
      restError(old, 400, 'bad_request');
    });

    it('localhost origins and TOOLPORT_ALLOWED_ORIGINS pass (reads and calls shown; writes in the next block)', async () => {
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://allowed.example']) {
        expect((await send(utility, 'GET', '/tools/get_time', { headers: { origin } })).status, origin).toBe(200);
        const call = await send(utility, 'POST', '/tools/call', { headers: { ...JSON_CT, origin }, body: body({ name: 'get_time', arguments: {} }) });
        expect(call.status, origin).toBe(200);
      }
      expect((await send(utility, 'GET', '/health', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    });
  });

  describe('what never reaches a route', () => {
    it.each([
      ['a 100 KB URL', () => send(utility, 'GET', `/tools/${'a'.repeat(100_000)}`)],
      ['a 100 KB URL on /mcp', () => send(utility, 'POST', `/mcp?${'a'.repeat(100_000)}`, { headers: MCP_HEADERS, body: body(INITIALIZE) })],
      ['a 100 KB header', () => send(utility, 'GET', '/tools', { headers: { cookie: 'c'.repeat(100_000) } })],
    ])('%s → 431 with the error body and connection: close', async (_label, go) => {
      const answer = await go();
      const error = restError(answer, 431, 'headers_too_large');
      expect(error.message).toMatch(/larger than \d+ bytes/);
      expect(answer.headers.connection).toBe('close');
    });

    it.each([
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
      ['an unknown method', 'BREW /tools HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n'],
      ['a header without a colon', 'GET /tools HTTP/1.1\r\nhost: 127.0.0.1\r\nno colon here\r\n\r\n'],
      [
        'a bad chunked body',
        'POST /tools HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      ],
      ['both Content-Length and chunked', 'POST /tools HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}'],
      ['a raw space in the path', 'GET /tools/a b HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n'],
    ])('%s → 400 with the error body', async (_label, bytes) => {
      restError(await sendRaw(utility, bytes), 400, 'bad_request');
    });
  });

  describe('/mcp answers JSON-RPC errors, in both protocol eras', () => {
    const legacy = (params: unknown) => body({ ...INITIALIZE, params });
    const modernCall = (args: unknown, extra: Record<string, unknown> = {}) =>
      body({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_stock_price', arguments: args, _meta: MODERN_META, ...extra } });
    const modernHeaders = { ...MODERN_HEADERS, 'mcp-method': 'tools/call', 'mcp-name': 'get_stock_price' };
    const deep = DEEP;

    it.each([
      ['2025-era initialize, params 5,000 deep', MCP_HEADERS, legacy({ ...INITIALIZE.params, capabilities: deep })],
      ['2026-07-28 tools/call, arguments 5,000 deep', modernHeaders, modernCall(deep)],
      ['a batch 5,000 deep', MCP_HEADERS, `[${'['.repeat(5000)}${']'.repeat(5000)}]`],
      ['2025-era, NUL in clientInfo', MCP_HEADERS, legacy({ ...INITIALIZE.params, clientInfo: { name: NUL, version: '1' } })],
      ['2026-07-28, NUL in an argument', modernHeaders, modernCall({ symbol: `AAPL${'\u0000'}` })],
      ['2026-07-28, lone surrogate in an argument', modernHeaders, modernCall({ symbol: HIGH })],
      ['2026-07-28, lone surrogate in a key', modernHeaders, modernCall({ [LOW]: 'x' })],
    ])('%s → 400 Invalid Request naming the problem', async (_label, headers, text) => {
      const error = rpcError(await send(finance, 'POST', '/mcp', { headers, body: text }), 400, -32600);
      expect(error.message).toMatch(/TOOLPORT_MAX_JSON_DEPTH|NUL|lone surrogate/);
    });

    it('malformed JSON → 400 -32700; empty → 400 -32700', async () => {
      rpcError(await send(finance, 'POST', '/mcp', { headers: MCP_HEADERS, body: '{"jsonrpc":' }), 400, -32700);
      rpcError(await send(finance, 'POST', '/mcp', { headers: MCP_HEADERS, body: '' }), 400, -32700);
    });

    it.each([
      ['no content type', { accept: MCP_HEADERS.accept }],
      ['text/plain', { ...MCP_HEADERS, 'content-type': 'text/plain' }],
      ['form-encoded', { ...MCP_HEADERS, 'content-type': 'application/x-www-form-urlencoded' }],
    ])('%s → 415', async (_label, headers) => {
      rpcError(await send(finance, 'POST', '/mcp', { headers, body: body(INITIALIZE) }), 415);
    });

    it('a body over TOOLPORT_MAX_BODY_BYTES → 413, declared or chunked', async () => {
      const big = legacy({ ...INITIALIZE.params, padding: 'x'.repeat(MAX_BODY) });
      rpcError(await send(finance, 'POST', '/mcp', { headers: MCP_HEADERS, body: big }), 413);
      rpcError(await send(finance, 'POST', '/mcp', { headers: MCP_HEADERS, body: big, chunked: true }), 413);
    });

    it.each([
      ['an empty batch', '[]'],
      ['a number', '1'],
      ['null', 'null'],
      ['method: number', body({ jsonrpc: '2.0', id: 1, method: 5 })],
      ['jsonrpc: wrong version', body({ ...INITIALIZE, jsonrpc: '1.0' })],
      ['2025-era tools/list without a session', body({ jsonrpc: '2.0', id: 2, method: 'tools/list' })],
      ['initialize with params: string', legacy('x')],
      ['initialize with clientInfo: number', legacy({ ...INITIALIZE.params, clientInfo: 1 })],
    ])('%s → a 4xx JSON-RPC error', async (_label, text) => {
      const answer = await send(finance, 'POST', '/mcp', { headers: MCP_HEADERS, body: text });
      expect(answer.status, answer.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      rpcError(answer, answer.status);
    });

    it.each([
      ['arguments: array', modernCall([])],
      ['name: number', body({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 5, arguments: {}, _meta: MODERN_META } })],
      ['_meta: string', modernCall({ symbol: 'AAPL' }, { _meta: 'x' })],
      ['params: array', body({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: [] })],
    ])('2026-07-28 tools/call, %s → never a 5xx', async (_label, text) => {
      const answer = await send(finance, 'POST', '/mcp', { headers: modernHeaders, body: text });
      expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
      const parsed = JSON.parse(answer.text);
      // Either a JSON-RPC error or a tool result flagged isError: both are answers, not crashes.
      expect(parsed.error ?? parsed.result?.isError).toBeTruthy();
    });

    it('a foreign Origin or Host → 403 as JSON-RPC, on POST, GET and DELETE', async () => {
      for (const method of ['POST', 'GET', 'DELETE']) {
        const text = method === 'POST' ? body(INITIALIZE) : undefined;
        rpcError(
          await send(finance, method, '/mcp', { headers: { ...MCP_HEADERS, origin: 'https://evil.example', 'mcp-session-id': 'x' }, body: text }),
          403,
          -32000,
        );
        const host = `attacker.example:${new URL(finance).port}`;
        const error = rpcError(await send(finance, method, '/mcp', { headers: { ...MCP_HEADERS, host, 'mcp-session-id': 'x' }, body: text }), 403, -32000);
        expect(error.message).toMatch(/Invalid Host/);
      }
    });
  });
});

describe.each(backends)('writes that must not happen, and writes that may (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_ALLOWED_ORIGINS: 'https://allowed.example' });
  let utility: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
  });

  const row = async (name: string) =>
    (await t.db.database.query(`select version, title, description from tools where server_id = 'utility' and name = $1`, [name])).rows[0] as
      | { version: number; title: string | null; description: string }
      | undefined;
  const changes = async () => (await t.db.database.query(`select count(*)::int as n from registry_changes`)).rows[0]!.n as number;

  it('POST /tools with text/plain and a foreign Origin (a cross-site form) writes nothing; DELETE with a foreign Origin and Host deletes nothing', async () => {
    const before = await changes();
    const crossSite = await send(utility, 'POST', '/tools', {
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: body(VALID_TOOL),
    });
    restError(crossSite, 403, 'forbidden');
    const plain = await send(utility, 'POST', '/tools', { headers: { 'content-type': 'text/plain' }, body: body(VALID_TOOL) });
    restError(plain, 415, 'unsupported_media_type');
    const rebound = await send(utility, 'DELETE', '/tools/get_time', { headers: { origin: 'https://evil.example', host: 'attacker.example' } });
    restError(rebound, 403, 'forbidden');
    expect(await row('never_written')).toBeUndefined();
    expect(await row('get_time')).toBeDefined();
    expect(await changes()).toBe(before);
  });

  it('writes from localhost and allowed origins go through', async () => {
    for (const [origin, name] of [
      ['http://localhost:5173', 'from_localhost'],
      ['https://allowed.example', 'from_allowed'],
    ] as const) {
      const answer = await send(utility, 'POST', '/tools', { headers: { ...JSON_CT, origin }, body: body({ name, description: 'x', handler: 'get_time' }) });
      expect(answer.status, answer.text).toBe(201);
    }
  });

  it('a PATCH whose fields equal the current values is a 200 with no new version and no change event', async () => {
    const created = await send(utility, 'POST', '/tools', {
      headers: JSON_CT,
      body: body({
        name: 'steady',
        description: 'steady tool',
        title: 'Steady',
        handler: 'get_time',
        inputSchema: { type: 'object', properties: { timezone: { type: 'string', minLength: 1 } }, required: ['timezone'] },
        config: { a: 1, b: [1, 2] },
      }),
    });
    expect(created.status, created.text).toBe(201);
    const before = await changes();
    const same = [
      { title: 'Steady' },
      { description: 'steady tool', enabled: true },
      // Same schema, keys in another order (jsonb does not keep key order).
      { inputSchema: { required: ['timezone'], properties: { timezone: { minLength: 1, type: 'string' } }, type: 'object' } },
      { config: { b: [1, 2], a: 1 } },
      { handler: 'get_time' },
    ];
    for (const patch of same) {
      const answer = await send(utility, 'PATCH', '/tools/steady', { headers: JSON_CT, body: body(patch) });
      expect(answer.status, answer.text).toBe(200);
      expect(JSON.parse(answer.text).version).toBe(1);
      expect(answer.headers.etag).toBe('"1"');
    }
    expect((await row('steady'))!.version).toBe(1);
    expect(await changes()).toBe(before);

    // Array order is a change.
    const reordered = await send(utility, 'PATCH', '/tools/steady', { headers: JSON_CT, body: body({ config: { a: 1, b: [2, 1] } }) });
    expect(JSON.parse(reordered.text).version).toBe(2);
    const changed = await send(utility, 'PATCH', '/tools/steady', { headers: JSON_CT, body: body({ title: 'Steadier' }) });
    expect(changed.status).toBe(200);
    expect(JSON.parse(changed.text).version).toBe(3);
    expect((await row('steady'))!.version).toBe(3);
  });

  it('PATCH {} and PATCH [] → 400 "nothing to change" / "must be a JSON object"; the version stays', async () => {
    const before = (await row('get_time'))!.version;
    const empty = restError(await send(utility, 'PATCH', '/tools/get_time', { headers: JSON_CT, body: '{}' }), 400, 'bad_request');
    expect(empty.message).toMatch(/nothing to change/);
    const array = restError(await send(utility, 'PATCH', '/tools/get_time', { headers: JSON_CT, body: '[]' }), 400, 'bad_request');
    expect(array.message).toMatch(/must be a JSON object/);
    expect((await row('get_time'))!.version).toBe(before);
  });
});
