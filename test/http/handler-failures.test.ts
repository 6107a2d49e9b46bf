import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineHandler, type Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';

// Real handlers with real failure modes, registered beside the built-in ones.
const broken = defineHandler({
  name: 'always_throws',
  description: 'Throws on every call',
  input: v.object({}),
  run() {
    throw new Error('upstream exploded');
  },
});
const sleepy = defineHandler({
  name: 'sleeps',
  description: 'Sleeps for the given milliseconds, or until aborted',
  input: v.object({ ms: v.number() }),
  run: ({ ms }, ctx) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ slept: ms }), ms);
      ctx.signal.addEventListener('abort', () => clearTimeout(timer));
    }),
});

describe('handler failures (pglite)', () => {
  let db: TestDatabase;
  let app: RunningToolport;
  let utility: string;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    const handlers = new Map<string, Handler>([...builtIn, [broken.name, broken], [sleepy.name, sleepy]]);
    app = await startTestToolport(db, { TOOLPORT_CALL_TIMEOUT_MS: '1000' }, { handlers });
    utility = app.urls.utility!;
    for (const name of ['always_throws', 'sleeps']) {
      const response = await fetch(`${utility}/tools`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, description: name }),
      });
      expect(response.status).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  const call = (name: string, args: unknown) =>
    fetch(`${utility}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, arguments: args }) });

  it('a throwing handler → 502 handler_failed, distinct from a bad request; the listener keeps serving', async () => {
    const response = await call('always_throws', {});
    expect(response.status).toBe(502);
    expect((await json(response)).error).toMatchObject({ code: 'handler_failed', message: expect.stringMatching(/upstream exploded/) });
    expect((await call('sleeps', { ms: 1 })).status).toBe(200);
  });

  it('a handler past TOOLPORT_CALL_TIMEOUT_MS → 504 timeout', async () => {
    const response = await call('sleeps', { ms: 5_000 });
    expect(response.status).toBe(504);
    expect((await json(response)).error.code).toBe('timeout');
    expect((await fetch(`${utility}/health`)).status).toBe(200);
  });

  it('on stop, a call in flight finishes and new connections are refused', async () => {
    const inFlight = call('sleeps', { ms: 400 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = app.stop();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect((await json(response)).structuredContent).toEqual({ slept: 400 });
    await stopped;
    await expect(fetch(`${utility}/health`)).rejects.toThrow();
  });
});
