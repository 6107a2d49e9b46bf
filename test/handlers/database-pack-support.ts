import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { handlers as builtInHandlers } from '../../src/handlers/index.ts';
import { createDatabaseKind } from '../../src/handlers/kinds/database/index.ts';
import { DataSources } from '../../src/providers/data-sources/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createPostgresDatabase } from '../support/database.ts';
import { json } from '../support/toolport.ts';

/**
 * What the database pack tests share: a Toolport runtime with the data
 * sources and the `database` kind (as main/ will wire them), a target
 * PostgreSQL database with schemas public + private, a login role, an RLS
 * policy and data, and REST helpers.
 */

/** Data sources plus the handler map with the database kind bound to them (StartOptions). */
export function withDatabaseKind(env: Record<string, string>) {
  const dataSources = new DataSources({ secret: (name) => env[`TOOLPORT_SECRET_${name}`], logger: silentLogger, retry: { attempts: 1 } });
  const kind = createDatabaseKind({ dataSources, logger: silentLogger, callTimeoutMs: 30_000 });
  return { dataSources, options: { dataSources, handlers: new Map([...builtInHandlers, [kind.name, kind]]) } };
}

export interface TargetDatabase {
  /** As postgres (superuser): for setting up and checking rows. */
  admin: postgres.Sql;
  /** The URL of a login role that owns nothing (so RLS applies to it), with a password that must never show. */
  appUrl: string;
  /** The URL as postgres, for admin-mode sources (pg_stat_statements, hypopg). */
  adminUrl: string;
  role: string;
  password: string;
  drop(): Promise<void>;
}

/**
 * A target database: public (customers, orders, notes with RLS), private (t, customers), the role toolport_app_<random> with rights on
 * both schemas and private first on its own search_path.
 */
export async function createTargetDatabase(): Promise<TargetDatabase> {
  const { url, drop } = await createPostgresDatabase();
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  const role = `toolport_app_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  await admin.unsafe(`
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    CREATE EXTENSION IF NOT EXISTS hypopg;
    CREATE SCHEMA private;
    CREATE TABLE public.customers (id serial PRIMARY KEY, region text NOT NULL, name text NOT NULL);
    CREATE TABLE public.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), status text NOT NULL,
                                created_at timestamptz NOT NULL DEFAULT now(), total numeric NOT NULL);
    COMMENT ON TABLE public.orders IS 'Customer orders';
    CREATE TABLE public.notes (id serial PRIMARY KEY, tool text NOT NULL, body text NOT NULL);
    CREATE TABLE private.t (id int PRIMARY KEY, secret text NOT NULL);
    INSERT INTO customers (region, name) SELECT (ARRAY['eu','us','asia'])[1 + i % 3], 'customer ' || i FROM generate_series(1, 2000) i;
    INSERT INTO orders (customer_id, status, created_at, total)
      SELECT 1 + i % 2000, (ARRAY['new','paid','shipped','void'])[1 + i % 4], now() - (i || ' minutes')::interval, i % 500
        FROM generate_series(1, 50000) i;
    INSERT INTO notes (tool, body) VALUES ('ro_execute_sql', 'for the read-only tool'), ('someone_else', 'not for it');
    INSERT INTO private.t VALUES (1, 'the private row');
    ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
    -- The call's identity as the pack sets it: each tool sees only its own notes.
    CREATE POLICY notes_by_tool ON public.notes USING (tool = current_setting('toolport.tool', true));
    CREATE ROLE ${role} LOGIN PASSWORD '${password}';
    GRANT USAGE ON SCHEMA public, private TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
    -- The role may read private.t: what keeps user modes out of it is the pack's parser check, not a missing grant.
    GRANT SELECT, INSERT, DELETE ON private.t TO ${role};
    -- A private table named like a public one, first on the role's own search_path: user modes must still mean public.
    CREATE TABLE private.customers (id int, name text);
    INSERT INTO private.customers VALUES (1, 'shadow');
    GRANT SELECT ON private.customers TO ${role};
    ALTER ROLE ${role} SET search_path = private, public;
    ANALYZE;
  `);
  const appUrl = new URL(url);
  appUrl.username = role;
  appUrl.password = password;
  return {
    admin,
    appUrl: appUrl.toString(),
    adminUrl: url,
    role,
    password,
    async drop() {
      await admin.end();
      await drop();
      const again = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      await again.unsafe(`DROP ROLE IF EXISTS ${role}`);
      await again.end();
    },
  };
}

export interface Rest {
  bodies: string[];
  send(path: string, method?: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  call(name: string, args?: Record<string, unknown>): Promise<{ status: number; body: any }>;
}

/** REST helpers on one listener, keeping every response body (to check none carries a secret). */
export function rest(base: () => string, headers: Record<string, string> = {}): Rest {
  const bodies: string[] = [];
  const send = async (path: string, method = 'GET', body?: unknown, extra: Record<string, string> = {}) => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers, ...extra },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: text ? await json(new Response(text)) : undefined };
  };
  return { bodies, send, call: (name, args = {}) => send('/tools/call', 'POST', { name, arguments: args }) };
}
