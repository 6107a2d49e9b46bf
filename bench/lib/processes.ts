import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Child processes of the bench: servers pinned to cpu 0, the load generator
 * (and this orchestrator) to cpu 1, when `taskset` exists and there are ≥ 2 cores.
 */

export const CAN_PIN = cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

/** Pin an already running process (all its threads) to a core. */
export function pin(pid: number, cpu: string): void {
  if (CAN_PIN) spawnSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

/** VmRSS of a live process in MB (Linux /proc). */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, every thread) a process has used so far, in ms; undefined where /proc is not. Linux counts it in 10 ms ticks (USER_HZ 100). */
export function cpuMs(pid: number): number | undefined {
  try {
    // Fields after the command's closing parenthesis: state is 3rd, utime 14th, stime 15th of the whole line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export interface Spawned {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stderr + stdout tail, for error messages. */
  output(): string;
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawn `node <nodeArgs>` (pinned to the server core when possible); tsx is loaded with --import. */
export function spawnNode(name: string, nodeArgs: string[], options: { env?: NodeJS.ProcessEnv; cwd: string; cpu?: string }): Spawned {
  const command = CAN_PIN && options.cpu ? 'taskset' : process.execPath;
  const args = CAN_PIN && options.cpu ? ['-c', options.cpu, process.execPath, ...nodeArgs] : nodeArgs;
  // taskset execs node: the pid is the server's own.
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    pid: child.pid!,
    output: () => tail,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the ports a child prints as `listening <port>` lines, once `count` of them appeared. */
export function listeningPorts(spawned: Spawned, count: number, timeoutMs = 30_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const ports: number[] = [];
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`${spawned.name}: not listening after ${timeoutMs} ms\n${spawned.output()}`)), timeoutMs);
    spawned.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (const match of buffer.matchAll(/^listening (\d+)$/gm)) ports.push(Number(match[1]));
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      if (ports.length >= count) {
        clearTimeout(timer);
        resolve(ports.slice(0, count));
      }
    });
    spawned.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${spawned.name} exited (${code}) before listening\n${spawned.output()}`));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll GET <url>/health of every url until each answers 200; resolves with the time it took. */
export async function waitHealthy(spawned: Spawned, urls: string[], timeoutMs = 60_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  let exited = false;
  void spawned.exited.then(() => (exited = true));
  while (pending.size) {
    if (exited)
      throw new Error(`${spawned.name} exited during start (code ${spawned.child.exitCode}, signal ${spawned.child.signalCode})\n${spawned.output()}`);
    if (Date.now() > deadline) throw new Error(`${spawned.name}: ${[...pending].join(', ')} not healthy after ${timeoutMs} ms\n${spawned.output()}`);
    await Promise.all(
      [...pending].map(async (url) => {
        try {
          const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
          const body = (await response.json()) as { status?: string };
          if (response.status === 200 && body.status === 'ok') pending.delete(url);
        } catch {
          // not listening yet
        }
      }),
    );
    if (pending.size) await sleep(intervalMs);
  }
}
