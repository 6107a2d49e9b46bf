/** Spawn `toolport mcp <server>` (dist/, as `npx toolport mcp` runs it) on a fresh data dir → its first tools/list answered. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

/** Milliseconds from spawning the process to the tools of `server` listed over stdio (a desktop client's first connection). */
export async function firstStdioList(root: string, server: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-bench-stdio-'));
  const client = new Client({ name: 'toolport-bench-stdio', version: '1.0.0' });
  const started = performance.now();
  try {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(root, 'bin', 'toolport.js'), 'mcp', server],
        cwd: root,
        env: { ...(process.env as Record<string, string>), TOOLPORT_DATA_DIR: join(dir, 'data'), TOOLPORT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
        stderr: 'ignore',
      }),
    );
    const { tools } = await client.listTools();
    if (!tools.length) throw new Error(`toolport mcp ${server}: no tools listed`);
    return performance.now() - started;
  } finally {
    await client.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
