import { beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

// Stored tool schemas must neither stall the event loop (catastrophic regex
// backtracking, huge or deep schemas) nor overflow the stack (endless $ref
// cycles), whether they arrive through REST or are written by hand in SQL.
// Limits are set explicitly here, so these tests do not depend on the defaults.
const LIMITS = { TOOLPORT_MAX_SCHEMA_PROPERTIES: '100', TOOLPORT_MAX_SCHEMA_BYTES: '65536', TOOLPORT_MAX_JSON_DEPTH: '64' };

const headers = { 'content-type': 'application/json' };

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function nested(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

/** The same as JSON text, built without JSON.stringify (which overflows the stack beyond ~4,000 levels). */
function nestedText(levels: number): string {
  return `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${'}}'.repeat(levels)}`;
}

describe.each(backends)('schema safety (%s)', (backend) => {
  const t = useToolport(backend, LIMITS);
  let utility: string;
  let finance: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
    finance = t.app.urls.finance!;
  });

  const register = async (name: string, inputSchema: unknown, extra: Record<string, unknown> = {}, schemaText?: string) => {
    const fields = JSON.stringify({ name, description: `schema safety: ${name}`, handler: 'get_time', ...extra });
    const response = await fetch(`${utility}/tools`, {
      method: 'POST',
      headers,
      body: `${fields.slice(0, -1)},"inputSchema":${schemaText ?? JSON.stringify(inputSchema)}}`,
    });
    return { status: response.status, body: await json(response) };
  };
  const call = async (name: string, args: unknown, raw?: string) => {
    const started = performance.now();
    const response = await fetch(`${utility}/tools/call`, { method: 'POST', headers, body: raw ?? JSON.stringify({ name, arguments: args }) });
    return { status: response.status, body: await json(response), ms: performance.now() - started };
  };
  /** A 400 refusal in the REST error shape, naming `path`. */
  const expectRefused = (result: { status: number; body: any }, path: string, message: RegExp) => {
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: 'bad_request', message: expect.any(String) });
    expect(result.body.error.details).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
  };
  const expectHealthy = async () => {
    for (const url of [utility, finance]) expect((await fetch(`${url}/health`)).status).toBe(200);
  };

  describe('regular expressions run in linear time', () => {
    it('a pattern with catastrophic backtracking answers at once, and both ports keep answering', async () => {
      const created = await register('redos_pattern', { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } });
      expect(created.status).toBe(201);
      // A backtracking engine needs 2^40 steps for this (the original report: 1.1 s at 27 "a"s).
      const slow = await call('redos_pattern', { code: `${'a'.repeat(40)}!` });
      expect(slow.status).toBe(400);
      expect(slow.body.error.details).toEqual([{ path: '/arguments/code', message: 'must match pattern "^(a+)+$"' }]);
      expect(slow.ms).toBeLessThan(1000);
      const ok = await call('redos_pattern', { code: 'aaaa' });
      expect(ok.status).toBe(200);
      await expectHealthy();
    });

    it('bounds the pattern work of one call: a string too long for the pattern is refused at once, saying why', async () => {
      const created = await register('hostile_pattern', { type: 'object', properties: { code: { type: 'string', pattern: 'a[ab]{20}\\d' } } });
      expect(created.status).toBe(201);
      const huge = await call('hostile_pattern', { code: 'ab'.repeat(300_000) });
      expect(huge.status).toBe(400);
      expect(huge.body.error.details).toEqual([
        { path: '/arguments/code', message: 'must match pattern "a[ab]{20}\\d"' },
        { path: '/arguments', message: expect.stringMatching(/a string of 600000 characters was not checked against "a\[ab\]\{20\}\\d"/) },
      ]);
      expect(huge.ms).toBeLessThan(1000);
      expect((await call('hostile_pattern', { code: `${'b'.repeat(1000)}a${'b'.repeat(20)}7` })).status).toBe(200);
    });

    it('patternProperties run on the same engine', async () => {
      expect((await register('redos_keys', { type: 'object', patternProperties: { '^(a+)+$': { type: 'number' } } })).status).toBe(201);
      const slow = await call('redos_keys', { [`${'a'.repeat(40)}!`]: 'x', aaa: 'not a number' });
      expect(slow.status).toBe(400);
      expect(slow.body.error.details).toEqual([{ path: '/arguments/aaa', message: 'must be number' }]);
      expect(slow.ms).toBeLessThan(1000);
    });

    it('ECMA-262 meaning is kept: \\s, ".", \\u escapes, named groups, [^]', async () => {
      const schema = { type: 'object', properties: { s: { type: 'string', pattern: '^(?<word>\\p{Lu}\\w*)\\s.\\u00e9[^]$' } } };
      expect((await register('ecma_pattern', schema)).status).toBe(201);
      expect((await call('ecma_pattern', { s: 'Hello\u3000xé\n' })).status).toBe(200);
      expect((await call('ecma_pattern', { s: 'Hello\u3000\né\n' })).status).toBe(400); // "." does not match a line terminator
    });

    it.each([
      ['a backreference', { code: { type: 'string', pattern: '^(a)\\1$' } }, '/inputSchema/properties/code/pattern', /backreference/],
      ['a named backreference', { code: { type: 'string', pattern: '^(?<x>a)\\k<x>$' } }, '/inputSchema/properties/code/pattern', /named backreference/],
      ['a lookahead', { code: { type: 'string', pattern: '^(?!admin)' } }, '/inputSchema/properties/code/pattern', /lookahead/],
      ['an invalid pattern', { code: { type: 'string', pattern: '([a-z]' } }, '/inputSchema/properties/code/pattern', /not a valid regular expression/],
      [
        'a pattern too large to run fast',
        { code: { type: 'string', pattern: '\\p{L}{600}\\p{N}{600}' } },
        '/inputSchema/properties/code/pattern',
        /instructions/,
      ],
    ])('refuses %s at registration, naming the pattern', async (_, properties, path, message) => {
      expectRefused(await register('bad_pattern', { type: 'object', properties }), path, message);
      expect((await fetch(`${utility}/tools/bad_pattern`)).status).toBe(404);
    });

    it('refuses a lookbehind in patternProperties, naming the key', async () => {
      expectRefused(
        await register('bad_keys', { type: 'object', patternProperties: { '(?<=x)y': {} } }),
        '/inputSchema/patternProperties/(?<=x)y',
        /lookbehind/,
      );
    });

    it('format "regex" checks a caller string without stalling on a huge one', async () => {
      expect((await register('regex_format', { type: 'object', properties: { r: { type: 'string', format: 'regex' } } })).status).toBe(201);
      expect((await call('regex_format', { r: '^[a-z]+$' })).status).toBe(200);
      const huge = await call('regex_format', { r: '(a)'.repeat(100_000) });
      expect(huge.status).toBe(400);
      expect(huge.body.error.details).toEqual([{ path: '/arguments/r', message: 'must match format "regex"' }]);
      expect(huge.ms).toBeLessThan(1000);
    });
  });

  describe('size and depth limits', () => {
    it('refuses 30,000 properties at once with the limit and its variable, and both ports keep answering', async () => {
      const started = performance.now();
      const result = await register('wide', { type: 'object', properties: Object.fromEntries(range(30_000).map((i) => [`p${i}`, { type: 'string' }])) });
      expectRefused(result, '/inputSchema', /over 100, counted over all levels \(TOOLPORT_MAX_SCHEMA_PROPERTIES=100\)/);
      expect(performance.now() - started).toBeLessThan(2000);
      await expectHealthy();
    });

    it('counts properties over every level', async () => {
      const properties = Object.fromEntries(
        range(20).map((i) => [`p${i}`, { type: 'object', properties: Object.fromEntries(range(5).map((j) => [`q${j}`, {}])) }]),
      );
      expectRefused(
        await register('nested_wide', { type: 'object', properties }),
        expect.stringMatching(/^\/inputSchema/) as never,
        /TOOLPORT_MAX_SCHEMA_PROPERTIES/,
      );
      const fits = Object.fromEntries(range(16).map((i) => [`p${i}`, { type: 'object', properties: Object.fromEntries(range(5).map((j) => [`q${j}`, {}])) }]));
      expect((await register('nested_fits', { type: 'object', properties: fits })).status).toBe(201);
    });

    it('refuses a schema larger than TOOLPORT_MAX_SCHEMA_BYTES as JSON text', async () => {
      const result = await register('heavy', { type: 'object', description: 'x'.repeat(70_000) });
      expectRefused(result, '/inputSchema', /over the limit of 65536 \(TOOLPORT_MAX_SCHEMA_BYTES=65536\)/);
    });

    it('refuses a schema nested 3,000 levels deep with a 400 naming where, not a stack overflow', async () => {
      const result = await register('deep', undefined, {}, nestedText(3000));
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('bad_request');
      expect(result.body.error.details[0].path).toMatch(/^\/inputSchema\/properties\/a\/properties\/a/);
      expect(result.body.error.details[0].message).toMatch(/TOOLPORT_MAX_JSON_DEPTH=64/);
      await expectHealthy();
    });

    it('refuses an output schema over the limits as well', async () => {
      const outputSchema = { type: 'object', properties: Object.fromEntries(range(500).map((i) => [`p${i}`, {}])) };
      expectRefused(await register('wide_output', { type: 'object' }, { outputSchema }), '/outputSchema', /TOOLPORT_MAX_SCHEMA_PROPERTIES=100/);
    });
  });

  describe('references', () => {
    it('refuses a $ref cycle that never steps into the data ({"type":"object","$ref":"#"} was accepted with 201)', async () => {
      expectRefused(await register('self_ref', { type: 'object', $ref: '#' }), '/inputSchema/$ref', /same value again.*never end/);
      expectRefused(await register('all_of_ref', { type: 'object', allOf: [{ $ref: '#' }] }), '/inputSchema/allOf/0/$ref', /closes a cycle/);
      const defs = {
        type: 'object',
        properties: { a: { $ref: '#/$defs/x' } },
        $defs: { x: { anyOf: [{ $ref: '#/$defs/y' }] }, y: { not: { $ref: '#/$defs/x' } } },
      };
      const result = await register('defs_cycle', defs);
      expect(result.status).toBe(400);
      expect(result.body.error.details[0].message).toMatch(/closes a cycle .*\/inputSchema\/\$defs\/x/);
      expectRefused(await register('output_cycle', { type: 'object' }, { outputSchema: { type: 'object', $ref: '#' } }), '/outputSchema/$ref', /never end/);
      await expectHealthy();
    });

    it('accepts a recursive tree schema that recurses through properties and items, and checks deep data', async () => {
      const tree = {
        type: 'object',
        properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } }, parent: { $ref: '#' } },
      };
      expect((await register('tree', tree)).status).toBe(201);
      expect((await call('tree', { name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }], parent: { name: 'p' } })).status).toBe(200);
      const bad = await call('tree', { name: 'a', children: [{ name: 'b', children: [{ name: 3 }] }] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([{ path: '/arguments/children/0/children/0/name', message: 'must be string' }]);
    });

    it('accepts $anchor (refused as an unknown keyword before)', async () => {
      const schema = { type: 'object', $defs: { zone: { $anchor: 'zone', type: 'string', minLength: 3 } }, properties: { timezone: { $ref: '#zone' } } };
      expect((await register('anchored', schema)).status).toBe(201);
      const bad = await call('anchored', { timezone: 'X' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].path).toBe('/arguments/timezone');
      expectRefused(
        await register('bad_anchor', { type: 'object', properties: { a: { $ref: '#nowhere' } } }),
        '/inputSchema/properties/a/$ref',
        /no "\$anchor": "nowhere"/,
      );
    });

    it('refuses an unresolvable $dynamicRef (accepted before), accepts one with its $dynamicAnchor', async () => {
      expectRefused(
        await register('dyn_missing', { type: 'object', properties: { b: { $dynamicRef: '#nope' } } }),
        '/inputSchema/properties/b/$dynamicRef',
        /cannot resolve \$dynamicRef "#nope"/,
      );
      expectRefused(
        await register('dyn_pointer', { type: 'object', $defs: { s: { type: 'string' } }, properties: { b: { $dynamicRef: '#/$defs/s' } } }),
        '/inputSchema/properties/b/$dynamicRef',
        /not supported/,
      );
      const dynamic = { $dynamicAnchor: 'node', type: 'object', properties: { next: { $dynamicRef: '#node' } } };
      expect((await register('dyn_ok', dynamic)).status).toBe(201);
      expect((await call('dyn_ok', { next: { next: 1 } })).body.error.details).toEqual([{ path: '/arguments/next/next', message: 'must be object' }]);
    });

    it("cannot reach another tool's schema through a nested $id", async () => {
      const shared = { type: 'object', properties: { a: { $id: 'https://example.com/shared', type: 'string' } } };
      expect((await register('has_nested_id', shared)).status).toBe(201);
      expectRefused(
        await register('borrows_id', { type: 'object', properties: { b: { $ref: 'https://example.com/shared' } } }),
        '/inputSchema/properties/b/$ref',
        /cannot resolve \$ref "https:\/\/example.com\/shared"/,
      );
      // A second tool may use the same nested $id: it is its own.
      expect((await register('same_nested_id', { type: 'object', properties: { a: { $id: 'https://example.com/shared', type: 'number' } } })).status).toBe(201);
      expect((await call('same_nested_id', { a: 1 })).status).toBe(200);
      expect((await call('has_nested_id', { a: 1 })).status).toBe(400);
    });
  });

  describe('data semantics', () => {
    it('only own properties count: "required":["__proto__"] refuses {}, an undeclared "constructor" is not required', async () => {
      expect((await register('proto_required', { type: 'object', required: ['__proto__'] })).status).toBe(201);
      const missing = await call('proto_required', {});
      expect(missing.status).toBe(400);
      expect(missing.body.error.details).toEqual([{ path: '/arguments', message: "must have required property '__proto__'" }]);
      expect((await call('proto_required', undefined, '{"name":"proto_required","arguments":{"__proto__":1}}')).status).toBe(200);

      expect((await register('ctor_property', { type: 'object', properties: { constructor: { type: 'string' } } })).status).toBe(201);
      expect((await call('ctor_property', {})).status).toBe(200);
      expect((await call('ctor_property', { constructor: 5 })).status).toBe(400);
    });

    it('uniqueItems on objects takes linear time (pairwise before: seconds for a few ten thousand items)', async () => {
      expect((await register('unique_list', { type: 'object', properties: { list: { type: 'array', uniqueItems: true } } })).status).toBe(201);
      const distinct = await call('unique_list', { list: range(50_000).map((i) => [i]) });
      expect(distinct.status).toBe(200);
      expect(distinct.ms).toBeLessThan(3000);
      const duplicate = await call('unique_list', { list: [{ a: 1, b: 2 }, 'x', { b: 2, a: 1 }] });
      expect(duplicate.body.error.details).toEqual([{ path: '/arguments/list', message: 'must NOT have duplicate items (items ## 0 and 2 are identical)' }]);
    });
  });

  describe('rows written by hand in SQL', () => {
    const rows: [string, unknown, unknown, RegExp][] = [
      ['sql_self_ref', { type: 'object', $ref: '#' }, null, /^input_schema: .*\/input_schema\/\$ref .*never end/],
      ['sql_deep', nested(1000), null, /^input_schema: .*TOOLPORT_MAX_JSON_DEPTH=64/],
      ['sql_wide', { type: 'object', properties: Object.fromEntries(range(30_000).map((i) => [`p${i}`, {}])) }, null, /TOOLPORT_MAX_SCHEMA_PROPERTIES=100/],
      [
        'sql_backref',
        { type: 'object', properties: { code: { type: 'string', pattern: '(a)\\1' } } },
        null,
        /\/input_schema\/properties\/code\/pattern .*backreference/,
      ],
      ['sql_dynamic', { type: 'object', properties: { b: { $dynamicRef: '#nope' } } }, null, /\$dynamicRef "#nope"/],
      ['sql_output_cycle', { type: 'object' }, { type: 'object', allOf: [{ $ref: '#' }] }, /^output_schema: .*\/output_schema\/allOf\/0\/\$ref/],
    ];

    it('become unavailable with the reason; calling them answers 503, never a stack overflow; the rest keep working', async () => {
      for (const [name, input, output] of rows) {
        await t.db.database.query(
          `INSERT INTO tools (server_id, name, description, input_schema, output_schema, handler) VALUES ('utility', $1, 'hand-written', $2::jsonb, $3::jsonb, 'get_time')`,
          [name, JSON.stringify(input), output === null ? null : JSON.stringify(output)],
        );
      }
      const names = rows.map(([name]) => name);
      const listed = await within(5000, async () => {
        const byName = new Map<string, any>((await json(await fetch(`${utility}/tools?limit=1000`))).tools.map((tool: any) => [tool.name, tool]));
        return names.every((name) => byName.get(name)?.available === false) ? byName : undefined;
      });
      for (const [name, , , reason] of rows) expect(listed.get(name), name).toMatchObject({ available: false, reason: expect.stringMatching(reason) });
      for (const name of names) {
        const result = await call(name, {});
        expect(result.status, name).toBe(503);
        expect(result.body.error).toMatchObject({ code: 'unavailable', reason: listed.get(name).reason });
      }
      expect((await call('get_time', { timezone: 'UTC' })).status).toBe(200);
      await expectHealthy();
    });

    it('a call that reaches a broken row before the background check refuses it the same way', async () => {
      await t.db.database.query(
        `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', 'sql_race', 'hand-written', $1::jsonb, 'get_time')`,
        [JSON.stringify({ type: 'object', allOf: [{ $ref: '#' }] })],
      );
      const result = await within(5000, async () => {
        const answer = await call('sql_race', {});
        return answer.status === 404 ? undefined : answer;
      });
      expect(result.status).toBe(503);
      expect(result.body.error.message).toMatch(/input_schema: .*closes a cycle/);
    });
  });
});
