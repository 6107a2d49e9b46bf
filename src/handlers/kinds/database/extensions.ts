import type { SqlSession } from '../../../providers/data-sources/types.ts';

/**
 * Whether pg_stat_statements / hypopg can be used on this database, and if
 * not, what to do about it — an answer for the model (and its user), not an
 * error: the tools still work, they just have nothing to measure with.
 */

export interface ExtensionStatus {
  ready: boolean;
  /** Installed in this database (CREATE EXTENSION done). */
  installed: boolean;
  /** The server has it (pg_available_extensions). */
  available: boolean;
  /** pg_stat_statements only: loaded through shared_preload_libraries. */
  preloaded?: boolean;
  /** What is missing and how to fix it, when not ready. */
  message?: string;
  howToEnable?: string[];
}

async function facts(session: SqlSession, name: string) {
  const { rows } = await session.query(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1) AS installed,
            EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = $1) AS available,
            current_setting('server_version_num')::int AS version,
            (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'shared_preload_libraries') AS preload`,
    [name],
  );
  const row = rows[0] ?? {};
  return {
    installed: row.installed === true,
    available: row.available === true,
    major: Math.floor(Number(row.version) / 10000),
    // pg_settings hides the setting from roles without pg_read_all_settings: unknown then (null).
    preload: typeof row.preload === 'string' ? row.preload : null,
  };
}

export async function pgStatStatements(session: SqlSession): Promise<ExtensionStatus> {
  const f = await facts(session, 'pg_stat_statements');
  const preloaded =
    f.preload === null
      ? undefined
      : f.preload
          .split(',')
          .map((item) => item.trim().replace(/^"|"$/g, ''))
          .includes('pg_stat_statements');
  // Installed and not known to be missing from the preload list: reading it will tell (SQLSTATE 55000 if not loaded).
  if (f.installed && preloaded !== false) return { ready: true, installed: true, available: true, ...(preloaded ? { preloaded } : {}) };
  const steps: string[] = [];
  if (!f.available)
    steps.push(
      `install the contrib package of PostgreSQL ${f.major} on the database server (Debian/Ubuntu: postgresql-contrib, part of postgresql-${f.major})`,
    );
  if (preloaded !== true) {
    steps.push("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; (append to the current list if it is not empty), then restart PostgreSQL");
  }
  if (!f.installed) steps.push('CREATE EXTENSION pg_stat_statements; (in this database, as a superuser or the database owner)');
  const missing = [preloaded === false ? 'not loaded (shared_preload_libraries)' : undefined, !f.installed ? 'not installed in this database' : undefined]
    .filter(Boolean)
    .join(' and ');
  return {
    ready: false,
    installed: f.installed,
    available: f.available,
    ...(preloaded === undefined ? {} : { preloaded }),
    message: `pg_stat_statements is ${missing || 'unavailable'}: there are no query statistics to read. To enable it: ${steps.join('; then ')}.`,
    howToEnable: steps,
  };
}

export async function hypopg(session: SqlSession): Promise<ExtensionStatus> {
  const f = await facts(session, 'hypopg');
  if (f.installed) return { ready: true, installed: true, available: true };
  const steps = f.available
    ? ['CREATE EXTENSION hypopg; (in this database)']
    : [
        `install hypopg on the database server (Debian/Ubuntu: apt-get install postgresql-${f.major}-hypopg; or build it from https://github.com/HypoPG/hypopg)`,
        'CREATE EXTENSION hypopg; (in this database)',
      ];
  return {
    ready: false,
    installed: false,
    available: f.available,
    message: `hypopg is ${f.available ? 'available but not installed in this database' : 'not installed on the database server'}: candidate indexes cannot be judged without hypothetical indexes. To enable it: ${steps.join('; then ')}.`,
    howToEnable: steps,
  };
}

/** SQLSTATE of reading pg_stat_statements when the library is not preloaded ("must be loaded via shared_preload_libraries"). */
export const NOT_PRELOADED_SQLSTATE = '55000';

/** The answer when pg_stat_statements turned out not to be loaded (the role could not see shared_preload_libraries beforehand). */
export function notPreloaded(): ExtensionStatus {
  const steps = ["ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; (append to the current list if it is not empty), then restart PostgreSQL"];
  return {
    ready: false,
    installed: true,
    available: true,
    preloaded: false,
    message: `pg_stat_statements is installed but not loaded (shared_preload_libraries): there are no query statistics to read. To enable it: ${steps[0]}.`,
    howToEnable: steps,
  };
}
