import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';

/**
 * The bench's own database, never the user's: a fresh `toolport_bench_<random>`
 * database on the Postgres server (dropped at the end), or a fresh PGlite
 * data dir under the OS temp dir (removed at the end).
 *
 * The schema and built-in tools come from Toolport itself (`toolport seed`,
 * the CLI a user runs). Large registries are then filled with one INSERT …
 * SELECT generate_series (what the test suite does too): POSTing 10,000 tools
 * would measure registration, which is measured on its own.
 */

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The shape of every bulk tool: what ARCHITECTURE.md's "1,000 tools ≈ 244 KB" figure was measured with. */
const BULK_SCHEMA = '{"type":"object","properties":{"timezone":{"type":"string"}}}';
export const BULK_PREFIX = 'bulk_';

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** Environment for a Toolport process using this database. */
  env: Record<string, string>;
  describe: string;
  query<T = Record<string, unknown>>(text: string): Promise<T[]>;
  /** Close the bench's own connection (PGlite: required before Toolport opens the data dir). */
  release(): Promise<void>;
  dispose(): Promise<void>;
}

/** Can we reach a Postgres server at this URL within 3 s? */
export async function postgresReachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export async function createPostgresDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `toolport_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let sql: postgres.Sql | undefined;
  const client = () => (sql ??= postgres(url.toString(), { max: 2, onnotice: () => {} }));
  return {
    kind: 'postgres',
    env: { DATABASE_URL: url.toString() },
    describe: `postgres ${url.host}/${name}`,
    async query<T>(text: string) {
      return [...(await client().unsafe(text))] as T[];
    },
    async release() {
      await sql?.end({ timeout: 5 });
      sql = undefined;
    },
    async dispose() {
      await sql?.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}

export async function createPgliteDatabase(): Promise<BenchDatabase> {
  const root = mkdtempSync(join(tmpdir(), 'toolport-bench-'));
  const dataDir = join(root, 'data');
  let pglite: PGlite | undefined;
  const open = async () => (pglite ??= await PGlite.create(dataDir));
  return {
    kind: 'pglite',
    env: { TOOLPORT_DATA_DIR: dataDir },
    describe: `pglite ${dataDir}`,
    async query<T>(text: string) {
      const results = await (await open()).exec(text);
      return (results[results.length - 1]?.rows ?? []) as T[];
    },
    async release() {
      await pglite?.close();
      pglite = undefined;
    },
    async dispose() {
      await pglite?.close().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `toolport seed` (migrate + built-in servers, tools, sample data), run as a user runs it. */
export function seedWithCli(database: BenchDatabase, cwd: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'seed'], {
    cwd,
    env: { ...process.env, ...database.env, TOOLPORT_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`toolport seed failed (${result.status}):\n${result.stderr}${result.stdout}`);
}

export async function countTools(database: BenchDatabase, serverId: string): Promise<number> {
  const [row] = await database.query<{ count: number }>(`SELECT count(*)::int AS count FROM tools WHERE server_id = '${serverId}'`);
  return Number(row?.count ?? 0);
}

/**
 * Make `serverId` hold exactly `total` tools by adding or removing bulk tools
 * (copies of the shape above, bound to the get_time handler). Returns the count.
 */
export async function setToolCount(database: BenchDatabase, serverId: string, total: number): Promise<number> {
  const current = await countTools(database, serverId);
  const [bulk] = await database.query<{ count: number; max: number | null }>(
    `SELECT count(*)::int AS count, max(substr(name, ${BULK_PREFIX.length + 1})::int) AS max FROM tools WHERE server_id = '${serverId}' AND name LIKE '${BULK_PREFIX}%'`,
  );
  if (total > current) {
    const from = Number(bulk?.max ?? 0) + 1;
    const to = from + (total - current) - 1;
    await database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler)
       SELECT '${serverId}', '${BULK_PREFIX}' || lpad(n::text, 5, '0'), 'Bulk tool ' || n, '${BULK_SCHEMA}'::jsonb, 'get_time'
       FROM generate_series(${from}, ${to}) AS n`,
    );
  } else if (total < current) {
    const excess = current - total;
    if (excess > Number(bulk?.count ?? 0)) throw new Error(`cannot shrink ${serverId} to ${total} tools: only bulk tools are removed`);
    await database.query(
      `DELETE FROM tools WHERE id IN (SELECT id FROM tools WHERE server_id = '${serverId}' AND name LIKE '${BULK_PREFIX}%' ORDER BY name DESC LIMIT ${excess})`,
    );
  }
  return countTools(database, serverId);
}

export interface ExportedTool {
  name: string;
  title: string | null;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  annotations: Record<string, unknown> | null;
  handler: string;
}

/** A server's enabled tools, for the SDK baseline to register the same definitions. */
export async function exportServer(database: BenchDatabase, serverId: string) {
  const [server] = await database.query<{ id: string; name: string; description: string }>(
    `SELECT id, name, description FROM servers WHERE id = '${serverId}'`,
  );
  const rows = await database.query<{
    name: string;
    title: string | null;
    description: string;
    input_schema: unknown;
    output_schema: unknown;
    annotations: unknown;
    handler: string;
  }>(`SELECT name, title, description, input_schema, output_schema, annotations, handler FROM tools WHERE server_id = '${serverId}' AND enabled ORDER BY name`);
  // postgres.js returns jsonb parsed; PGlite too. Strings would mean a driver change.
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown> | null;
  const tools: ExportedTool[] = rows.map((row) => ({
    name: row.name,
    title: row.title,
    description: row.description,
    inputSchema: json(row.input_schema)!,
    outputSchema: json(row.output_schema),
    annotations: json(row.annotations),
    handler: row.handler,
  }));
  return { id: server!.id, name: server!.name, description: server!.description, tools };
}
