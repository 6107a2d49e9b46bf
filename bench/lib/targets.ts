import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchDatabase, ExportedTool } from './db.ts';
import { freePorts } from './ports.ts';
import { listeningPorts, rssMb, SERVER_CPU, type Spawned, sleep, spawnNode, waitHealthy } from './processes.ts';

/** The three kinds of server the bench drives, each its own process on the server core. */

export const SERVER_IDS = ['finance', 'utility'] as const;
export type ServerId = (typeof SERVER_IDS)[number];

let scratch: string | undefined;
let files = 0;
/** Config files for the floor and SDK processes, in a temp dir removed when the bench exits. */
function scratchFile(name: string, content: string): string {
  if (!scratch) {
    const dir = (scratch = mkdtempSync(join(tmpdir(), 'toolport-bench-files-')));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(scratch, `${files++}-${name}`);
  writeFileSync(path, content);
  return path;
}

export interface RunningToolport {
  /** The current process (replaced by restart()). */
  readonly process: Spawned;
  urls: Record<ServerId, string>;
  /** The gateway's origin (TOOLPORT_GATEWAY_PORT), when started with `gateway`. */
  gatewayUrl: string | undefined;
  /** Spawn → every listener answered GET /health with status ok. */
  startMs: number;
  rss(): number | undefined;
  /** Set when the process ended without being asked to: its exit code and the tail of its output. */
  died(): string | undefined;
  /** Start a new process on the same ports and database (after died()). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Variables a user may have set that would point the bench's Toolport elsewhere. */
const OWN = ['DATABASE_URL', 'TOOLPORT_DATA_DIR', 'TOOLPORT_SERVERS', 'TOOLPORT_SQL_PORT', 'TOOLPORT_ADMIN_TOKEN', 'TOOLPORT_HOST', 'TOOLPORT_GATEWAY_PORT'];

export interface ToolportOptions {
  cwd: string;
  servers?: readonly ServerId[];
  /** Directory for `node --cpu-prof`. */
  cpuProfDir?: string;
  /** More servers to serve, without a port of their own (the gateway serves them). */
  alsoServe?: readonly string[];
  /** Extra variables for the server (e.g. TOOLPORT_HTTP_ALLOW), set after the bench's own. */
  env?: Record<string, string>;
  /** Also start the gateway listener (TOOLPORT_GATEWAY_PORT on a free port; its origin is `gatewayUrl`). */
  gateway?: boolean;
  /** What runs: the production build `npm start` runs (dist/, the default) or the TypeScript source through tsx (`npm run dev`). */
  build?: 'dist' | 'source';
}

/** The node arguments of each build (the bench built dist/ before its first phase). */
const ENTRY = { dist: ['dist/src/main/cli.js', 'serve'], source: ['--import', 'tsx', 'src/main/cli.ts', 'serve'] } as const;

/**
 * Start Toolport the way `npm start` does (the compiled dist/src/main/cli.js)
 * minus the npm and bin/toolport.js launcher: `node dist/src/main/cli.js serve`,
 * so the pid we watch (RSS, --cpu-prof) is the server itself.
 */
export async function startToolport(database: BenchDatabase, options: ToolportOptions): Promise<RunningToolport> {
  const servers = options.servers ?? SERVER_IDS;
  const [sqlPort, gatewayPort, ...ports] = await freePorts(servers.length + 2);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of OWN) delete env[key];
  Object.assign(env, database.env, {
    TOOLPORT_SERVERS: [...servers.map((id, i) => `${id}:${ports[i]}`), ...(options.alsoServe ?? [])].join(','),
    TOOLPORT_SQL_PORT: String(sqlPort),
    ...(options.gateway ? { TOOLPORT_GATEWAY_PORT: String(gatewayPort) } : {}),
    ...options.env,
  });
  const gatewayUrl = options.gateway ? `http://127.0.0.1:${gatewayPort}` : undefined;
  const profArgs = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const urls = Object.fromEntries(servers.map((id, i) => [id, `http://127.0.0.1:${ports[i]}`])) as Record<ServerId, string>;

  let current!: Spawned;
  let stopping = false;
  let died: string | undefined;
  const launch = async () => {
    const started = performance.now();
    const spawned = spawnNode('toolport', [...profArgs, ...ENTRY[options.build ?? 'dist']], { cwd: options.cwd, env, cpu: SERVER_CPU });
    try {
      await waitHealthy(spawned, [...Object.values(urls), ...(gatewayUrl ? [gatewayUrl] : [])]);
    } catch (error) {
      await spawned.stop(2_000);
      throw new Error(`${(error as Error).message.split('\n')[0]}; last output:\n${tail(spawned.output())}`);
    }
    current = spawned;
    died = undefined;
    void spawned.exited.then((code) => {
      if (!stopping && current === spawned) {
        died = `Toolport (pid ${spawned.pid}) exited without being asked to (code ${code ?? spawned.child.signalCode}); last output:\n${tail(spawned.output())}`;
      }
    });
    return performance.now() - started;
  };
  const startMs = await launch();
  return {
    get process() {
      return current;
    },
    urls,
    gatewayUrl,
    startMs,
    rss: () => rssMb(current.pid),
    died: () => died,
    restart: async () => {
      await current.stop();
      await launch();
    },
    stop: () => {
      stopping = true;
      return current.stop();
    },
  };
}

/** The last lines of a process's output, for error messages. */
export function tail(output: string, lines = 12): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** RSS once the process has settled (a GC pass may be pending right after a phase). */
export async function settledRss(toolport: RunningToolport): Promise<number | undefined> {
  await sleep(500);
  return toolport.rss();
}

export interface FloorCase {
  status: number;
  contentType: string;
  body: string;
}

export interface RunningServer {
  process: Spawned;
  urls: string[];
  stop(): Promise<void>;
}

export async function startFloor(cwd: string, cases: Record<string, FloorCase>): Promise<RunningServer> {
  const file = scratchFile('floor-cases.json', JSON.stringify(cases));
  const process_ = spawnNode('floor', ['--import', 'tsx', 'bench/servers/floor.ts', file, '0'], { cwd, cpu: SERVER_CPU });
  const [port] = await listeningPorts(process_, 1);
  return { process: process_, urls: [`http://127.0.0.1:${port}`], stop: () => process_.stop() };
}

export interface SdkServerSpec {
  name: string;
  title: string;
  instructions?: string;
  tools: ExportedTool[];
}

/** The official-SDK baseline with one listener per spec (same tools as the Toolport server it mirrors). */
export async function startSdk(cwd: string, specs: SdkServerSpec[], version: string): Promise<RunningServer> {
  const ports = await freePorts(specs.length);
  const file = scratchFile('sdk-config.json', JSON.stringify({ servers: specs.map((spec, i) => ({ ...spec, port: ports[i], version })) }));
  const process_ = spawnNode('sdk', ['--import', 'tsx', 'bench/servers/sdk.ts', file], { cwd, cpu: SERVER_CPU });
  await listeningPorts(process_, specs.length);
  return { process: process_, urls: ports.map((port) => `http://127.0.0.1:${port}`), stop: () => process_.stop() };
}

/** The main-thread .cpuprofile of a process (node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile). */
export function mainThreadProfile(dir: string, pid: number): string | undefined {
  const profiles = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile') && name.split('.')[3] === String(pid) && name.split('.')[4] === '0')
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return profiles[0];
}
