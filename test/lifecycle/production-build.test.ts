import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STAMP, staleness } from '../../scripts/dist.mjs';
import { moduleDir } from '../handlers/handler-module-dir.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { startServeProcess } from '../support/serve-process.ts';

const root = mkdtempSync(join(tmpdir(), 'toolport-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A project tree of its own: src/, a dist/ with or without its stamp, mtimes set by hand. */
function fixture(name: string): { dir: string; at(path: string, seconds: number): void } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src', 'main'), { recursive: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'src', 'main', 'cli.ts'), 'export {};\n');
  const at = (path: string, seconds: number) => utimesSync(join(dir, path), seconds, seconds);
  for (const path of ['src/main/cli.ts', 'src/main', 'src', 'dist']) at(path, 1_000);
  return { dir, at };
}

describe('the production build (dist/)', () => {
  it('is stale when missing, current after its stamp, stale again when a source file or folder changes', () => {
    const tree = fixture('stale');
    expect(staleness(tree.dir)).toBe('dist/ has not been built');
    writeFileSync(join(tree.dir, 'dist', STAMP), 'built\n');
    tree.at(`dist/${STAMP}`, 2_000);
    expect(staleness(tree.dir)).toBeUndefined();
    tree.at('src/main/cli.ts', 3_000);
    expect(staleness(tree.dir)).toBe('src/ changed since dist/ was built');
    tree.at('src/main/cli.ts', 1_000);
    tree.at('src/main', 3_000); // a deleted or added file changes its folder
    expect(staleness(tree.dir)).toBe('src/ changed since dist/ was built');
  });

  it('bin/toolport.js serves from dist/: calls, CPU tools in the worker pool, and a TypeScript handler module outside the tree', async () => {
    const modules = moduleDir({
      'shout.ts': `import * as v from 'valibot';
import { defineHandler, ToolInputError } from 'toolport';
export const shout = defineHandler({
  name: 'shout', description: 'Upper-cases a word', input: v.object({ word: v.optional(v.string()) }),
  run(args) {
    if (!args.word) throw new ToolInputError('word is required', '/word');
    return { loud: args.word.toUpperCase() };
  },
});
`,
    });
    const pg = TEST_DATABASE_URL ? await createPostgresDatabase() : undefined;
    const env: Record<string, string> = { TOOLPORT_HANDLERS_DIR: modules.path, TOOLPORT_SQL_PORT: '0', TOOLPORT_AUTH: 'local-open' };
    if (pg) env.DATABASE_URL = pg.url;
    else env.TOOLPORT_DATA_DIR = join(root, 'data');
    const served = await startServeProcess(env, ['finance', 'utility'], 'bin');
    try {
      const starting = served.logLines().find((line) => line.msg === 'starting');
      expect(starting).toMatchObject({ build: 'dist', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const call = async (base: string, name: string, args: Record<string, unknown>) => {
        const response = await fetch(`${base}/tools/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, arguments: args }),
        });
        return { status: response.status, body: (await response.json()) as any };
      };
      const analyzed = await call(served.urls.utility!, 'text_analyzer', { text: 'one two two' });
      expect(analyzed.status).toBe(200);
      expect(analyzed.body.structuredContent).toMatchObject({ words: 3, uniqueWords: 2 });
      const created = await fetch(`${served.urls.utility}/tools`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'shout', description: 'Shout a word', handler: 'shout' }),
      });
      expect(created.status).toBe(201);
      expect((await call(served.urls.utility!, 'shout', { word: 'hey' })).body.structuredContent).toEqual({ loud: 'HEY' });
      // Its ToolInputError is the one of the source (through tsx), not of dist/: still a caller's error, by brand.
      const refused = await call(served.urls.utility!, 'shout', {});
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('word is required');
      expect((await fetch(`${served.urls.finance}/openapi.json`)).status).toBe(200);
      // The admin UI's files are copied beside the compiled code: the page and its modules load from dist/.
      for (const file of ['', '/app.js', '/lib/api.js', '/pages/tools.js', '/styles.css']) {
        expect((await fetch(`${served.urls.finance}/ui${file}`)).status, `/ui${file}`).toBe(200);
      }
    } finally {
      expect(await served.child.kill('SIGTERM')).toBe(0);
      modules.dispose();
      await pg?.drop();
    }
  }, 240_000);
});
