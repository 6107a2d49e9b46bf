import { Ajv2020 } from 'ajv/dist/2020.js';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler, HandlerContext } from '../../src/handlers/define.ts';
import { handlers } from '../../src/handlers/index.ts';
import type { Providers } from '../../src/providers/index.ts';

// Own "__proto__" keys (as JSON.parse makes them) are ordinary fields: kept by every operation, never a prototype.

const ajv = new Ajv2020({ strict: false, allErrors: true });
const noProviders = new Proxy({} as Providers, {
  get(_target, key) {
    throw new Error(`data_processor touched ctx.providers.${String(key)}`);
  },
});

/** As the call layer does (and test/handlers/utility.test.ts): JSON Schema check, valibot parse, run, output check. */
async function call(json: string): Promise<Record<string, any>> {
  const args: unknown = JSON.parse(json);
  const handler: Handler = handlers.get('data_processor')!;
  const validInput = ajv.compile(handler.inputSchema);
  expect(validInput(args), JSON.stringify(validInput.errors)).toBe(true);
  const input = v.parse(handler.input, args);
  const ctx: HandlerContext = { serverId: 'utility', toolName: 'data_processor', config: {}, signal: new AbortController().signal, providers: noProviders };
  const result = (await handler.run(input, ctx)) as Record<string, any>;
  const validOutput = ajv.compile(handler.outputSchema!);
  expect(validOutput(result), JSON.stringify(validOutput.errors)).toBe(true);
  for (const record of result.records) expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  return result;
}

const DATA =
  '[{"__proto__": {"polluted": "yes"}, "id": 1, "n": 5}, {"__proto__": 2, "id": 2, "n": 1},' + ' {"__proto__": 2, "id": 3, "n": 3}, {"id": 4, "n": 2}]';
const run = (operations: unknown[]) => call(`{"data": ${DATA}, "operations": ${JSON.stringify(operations)}}`);
const ids = (records: Record<string, unknown>[]) => records.map((record) => record.id);
const protoOf = (record: Record<string, unknown>) =>
  Object.hasOwn(record, '__proto__') ? Object.getOwnPropertyDescriptor(record, '__proto__')!.value : 'missing';

describe('data_processor with own "__proto__" keys', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('keeps "__proto__", "constructor" and "prototype" fields through input parsing', async () => {
    const result = await call('{"data": [{"__proto__": 1, "constructor": 2, "prototype": 3, "a": 4}], "operations": []}');
    expect(JSON.stringify(result.records)).toBe('[{"__proto__":1,"constructor":2,"prototype":3,"a":4}]');
  });

  it('sort keeps the key and sorts by it (records without it count as missing, last)', async () => {
    const byN = await run([{ op: 'sort', by: 'n' }]);
    expect(ids(byN.records)).toEqual([2, 4, 3, 1]);
    expect(byN.records.map(protoOf)).toEqual([2, 'missing', 2, { polluted: 'yes' }]);
    const byProto = await run([{ op: 'sort', by: ['__proto__', 'n'], order: 'desc' }]);
    expect(ids(byProto.records)).toEqual([1, 3, 2, 4]);
  });

  it('filter keeps the key and filters on it', async () => {
    const eq = await run([{ op: 'filter', field: '__proto__', operator: 'eq', value: 2 }]);
    expect(ids(eq.records)).toEqual([2, 3]);
    expect(eq.records.map(protoOf)).toEqual([2, 2]);
    const missing = await run([{ op: 'filter', field: '__proto__', operator: 'eq', value: null }]);
    expect(ids(missing.records)).toEqual([4]);
    const byN = await run([{ op: 'filter', field: 'n', operator: 'gte', value: 3 }]);
    expect(JSON.stringify(byN.records)).toBe('[{"__proto__":{"polluted":"yes"},"id":1,"n":5},{"__proto__":2,"id":3,"n":3}]');
  });

  it('deduplicate tells records apart by the key and can deduplicate by it', async () => {
    const whole = await call('{"data": [{"__proto__": 1, "a": 1}, {"__proto__": 2, "a": 1}, {"__proto__": 1, "a": 1}], "operations": [{"op": "deduplicate"}]}');
    expect(JSON.stringify(whole.records)).toBe('[{"__proto__":1,"a":1},{"__proto__":2,"a":1}]');
    const byProto = await run([{ op: 'deduplicate', by: ['__proto__'] }]);
    expect(ids(byProto.records)).toEqual([1, 2, 4]);
  });

  it('group by the key (and aggregates named "__proto__") makes fields, never prototypes', async () => {
    const result = await run([{ op: 'group', by: '__proto__', aggregate: [{ field: 'n', fn: 'sum', as: '__proto__x' }] }]);
    expect(JSON.stringify(result.records)).toBe(
      '[{"__proto__":{"polluted":"yes"},"count":1,"__proto__x":5},{"__proto__":2,"count":2,"__proto__x":4},{"__proto__":null,"count":1,"__proto__x":2}]',
    );
    expect(result.records[0].polluted).toBeUndefined();
    const named = await run([{ op: 'group', by: 'id', aggregate: [{ field: 'n', fn: 'max', as: '__proto__' }] }]);
    expect(named.records.map(protoOf)).toEqual([5, 1, 3, 2]);
    expect(JSON.stringify(named.records[0])).toBe('{"id":1,"count":1,"__proto__":5}');
  });

  it('aggregate and statistics read the key, and keep the records', async () => {
    const data = '[{"__proto__": 4, "a": 1}, {"__proto__": 6, "a": 2}, {"a": 3}]';
    const result = await call(
      `{"data": ${data}, "operations": [{"op": "aggregate", "field": "__proto__", "fn": "sum"}, {"op": "aggregate", "field": "__proto__", "fn": "count"}, {"op": "statistics", "field": "__proto__"}]}`,
    );
    expect(result.results[0].value).toBe(10);
    expect(result.results[1].value).toBe(2);
    expect(result.results[2]).toMatchObject({ field: '__proto__', count: 2, missing: 1, mean: 5 });
    expect(JSON.stringify(result.records)).toBe(JSON.stringify(JSON.parse(data)));
  });
});
