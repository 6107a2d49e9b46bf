import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { backends, createPostgresDatabase } from '../support/database.ts';
import { ROOT, runCli } from '../support/process.ts';
import { textOf } from './support.ts';

/** `toolport mcp --server finance` exactly as a desktop client spawns it: the npm bin, through node. */
const BIN = join(ROOT, 'bin/toolport.js');
const serverParams = (env: Record<string, string>, server = 'finance') => ({
  command: process.execPath,
  args: [BIN, 'mcp', '--server', server],
  cwd: ROOT,
  env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOOLPORT_LOG_LEVEL: 'warn', ...env },
  stderr: 'pipe' as const,
});

describe.each(backends)('MCP over stdio: toolport mcp --server (%s)', (backend) => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-stdio-'));
  let env: Record<string, string>;
  let drop = async () => {};

  beforeAll(async () => {
    if (backend === 'postgres') {
      const created = await createPostgresDatabase();
      env = { DATABASE_URL: created.url };
      drop = created.drop;
    } else {
      env = { TOOLPORT_DATA_DIR: join(root, 'data') };
    }
    // A fresh database, as after `npm run db:seed`; `mcp` would also seed an empty one itself.
    const seed = runCli(['seed'], env);
    expect(await seed.exited, seed.output()).toBe(0);
  });
  afterAll(async () => {
    await drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('a 2026-07-28 client (SDK v2) lists and calls the finance tools', async () => {
    const client = new Client({ name: 'stdio-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StdioClientTransport(serverParams(env)));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
      const result = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'NVDA' } });
      expect(result.structuredContent).toMatchObject({ symbol: 'NVDA' });
      const bad = await client.callTool({ name: 'get_stock_price', arguments: { symbol: ['NVDA'] } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/\/arguments\/symbol/);
    } finally {
      await client.close();
    }
  });

  it('a 2025-era client (SDK v1) lists and calls the utility tools', async () => {
    const client = new V1Client({ name: 'stdio-legacy', version: '1.0.0' });
    await client.connect(new V1StdioTransport(serverParams(env, 'utility')));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
      const result = await client.callTool({ name: 'get_time', arguments: { timezone: 'UTC' } });
      expect(result.structuredContent).toMatchObject({ utcOffset: '+00:00' });
      await expect(client.callTool({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await client.close();
    }
  });

  it('an unknown server id exits with the list of known servers', async () => {
    const child = runCli(['mcp', '--server', 'nope'], env);
    expect(await child.exited).toBe(1);
    expect(child.output()).toMatch(/No server "nope".*Known: finance, utility/);
  });

  it.runIf(backend === 'pglite')('while another process holds the embedded database, it exits pointing at HTTP or DATABASE_URL', async () => {
    const holder = await openDatabase({ databaseUrl: undefined, dataDir: env.TOOLPORT_DATA_DIR! });
    try {
      const child = runCli(['mcp', '--server', 'finance'], env);
      expect(await child.exited).toBe(1);
      expect(child.output()).toMatch(/in use by another Toolport process/);
      expect(child.output()).toMatch(/over HTTP \(http:\/\/127\.0\.0\.1:<port>\/mcp\).*DATABASE_URL/s);
    } finally {
      await holder.close();
    }
  });
});
