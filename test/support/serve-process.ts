import { type Child, runCli } from './process.ts';

/**
 * `toolport serve` as a real child process on ephemeral ports
 * (TOOLPORT_SERVERS=finance:0,utility:0), and the URLs it is reachable at,
 * read from its JSON log: one `listening` line per server, with its url.
 */

export interface ServeProcess {
  child: Child;
  /** Base URL per server id, from the `listening` lines. */
  urls: Record<string, string>;
  /** The parsed JSON log lines so far. */
  logLines(): Record<string, unknown>[];
}

export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export async function startServeProcess(
  env: Record<string, string>,
  servers = ['finance', 'utility'],
  via: 'source' | 'bin' = 'source',
): Promise<ServeProcess> {
  // Info at least, whatever `env` says: the listening lines are how the URLs are learnt.
  const child = runCli(['serve'], { TOOLPORT_SERVERS: servers.map((id) => `${id}:0`).join(','), ...env, TOOLPORT_LOG_LEVEL: 'info' }, via);
  // pino writes the fields before "msg": `{"level":"info","time":…,"server":"finance","url":…,"msg":"listening"}`.
  const listening = (id: string) => new RegExp(`"server":"${id}"[^\n]*"msg":"listening"`);
  try {
    // From bin/ a stale dist/ is built first (tsc: up to a minute on a loaded machine).
    await Promise.all(servers.map((id) => child.waitFor(listening(id), via === 'bin' ? 150_000 : 60_000)));
  } catch (error) {
    await child.kill();
    throw error;
  }
  const urls: Record<string, string> = {};
  for (const line of logLines(child.output())) {
    if (line.msg === 'listening' && typeof line.server === 'string' && typeof line.url === 'string') urls[line.server] = line.url;
  }
  return { child, urls, logLines: () => logLines(child.output()) };
}
