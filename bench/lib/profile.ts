import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Summarize a V8 .cpuprofile (written by `node --cpu-prof`): where the
 * server's CPU time went, by frame (self time) and by module, so a missed
 * target is explained by measurement rather than by a guess.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  frame: string;
  selfMs: number;
  selfPct: number;
  /** Time in this frame and everything it called (not double-counting recursion). */
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  window?: { fromMs: number; toMs: number };
  /** Sampled time, idle excluded. */
  busyMs: number;
  idleMs: number;
  topSelf: FrameTime[];
  topTotal: FrameTime[];
  /** Inclusive time of frames in Toolport's code (src/) and its packages: where the work is, below the HTTP plumbing. */
  topTotalCode: FrameTime[];
  byModule: { module: string; selfMs: number; selfPct: number }[];
}

function shortUrl(url: string, root: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  return path.startsWith('/') ? relative(root, path) : path;
}

/** node_modules package, src/ file, node: builtin, or a V8 pseudo-frame. */
function moduleOf(url: string, functionName: string, root: string): string {
  if (!url) return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const short = shortUrl(url, root);
  if (url.startsWith('node:')) return 'node: internals';
  const parts = short.split('/');
  if (url.includes('/node_modules/')) return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  return short;
}

/**
 * `window`: only samples taken between fromMs and toMs after the profile
 * started (≈ the process start), e.g. the load run without start-up and warm-up.
 */
export function summarizeProfile(file: string, root: string, window: { fromMs: number; toMs: number } | undefined = undefined, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromMs * 1000 || at > window.toMs * 1000)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }

  const label = (frame: CallFrame) => {
    const where = frame.url ? ` ${shortUrl(frame.url, root)}:${frame.lineNumber + 1}` : '';
    return `${frame.functionName || '(anonymous)'}${where}`;
  };

  let idleUs = 0;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const modules = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + us);
    const module = moduleOf(node.callFrame.url, node.callFrame.functionName, root);
    modules.set(module, (modules.get(module) ?? 0) + us);
    // Inclusive time: every distinct frame on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const frameKey = label(byId.get(cursor)!.callFrame);
      if (seen.has(frameKey)) continue;
      seen.add(frameKey);
      total.set(frameKey, (total.get(frameKey) ?? 0) + us);
    }
  }
  const busyUs = [...self.values()].reduce((sum, us) => sum + us, 0);
  const pct = (us: number) => Math.round((us / busyUs) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const codeFrames = new Set<string>();
  for (const node of profile.nodes) {
    const url = node.callFrame.url;
    if (url.includes('/node_modules/') || (url.startsWith('file://') && !url.includes('/node_modules/'))) codeFrames.add(label(node.callFrame));
  }
  const frames = (source: Map<string, number>, only?: Set<string>, count = top) =>
    [...source.entries()]
      .filter(([frame]) => frame !== '(root)' && (!only || only.has(frame)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([frame]) => ({
        frame,
        selfMs: ms(self.get(frame) ?? 0),
        selfPct: pct(self.get(frame) ?? 0),
        totalMs: ms(total.get(frame) ?? 0),
        totalPct: pct(total.get(frame) ?? 0),
      }));
  return {
    file,
    ...(window ? { window } : {}),
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    topSelf: frames(self),
    topTotal: frames(total),
    topTotalCode: frames(total, codeFrames, 30),
    byModule: [...modules.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([module, us]) => ({ module, selfMs: ms(us), selfPct: pct(us) })),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const lines = [
    `profile ${summary.file}${summary.window ? ` (${Math.round(summary.window.fromMs)}–${Math.round(summary.window.toMs)} ms after start)` : ''}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle`,
    '',
    'top frames by self time:',
    ...summary.topSelf.map((f) => `  ${String(f.selfPct).padStart(5)} %  ${String(f.selfMs).padStart(8)} ms  ${f.frame}`),
    '',
    'top frames by total (inclusive) time:',
    ...summary.topTotal.map((f) => `  ${String(f.totalPct).padStart(5)} %  ${String(f.totalMs).padStart(8)} ms  ${f.frame}`),
    '',
    'top frames by total time in src/ and packages (node internals left out):',
    ...summary.topTotalCode.map((f) => `  ${String(f.totalPct).padStart(5)} %  ${String(f.totalMs).padStart(8)} ms  ${f.frame}`),
    '',
    'self time by module:',
    ...summary.byModule.map((m) => `  ${String(m.selfPct).padStart(5)} %  ${String(m.selfMs).padStart(8)} ms  ${m.module}`),
  ];
  return lines.join('\n');
}
