/**
 * POST /tools one at a time on a server that already holds a large registry:
 * a write's cost must not grow with the registry (the snapshot is patched,
 * lists are encoded lazily). Sequential (c=1), so the figure is the latency
 * of one write — database transaction included.
 */
export interface LargeWriteFigure {
  tools: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measureLargeWrites(baseUrl: string, tools: number, count: number, prefix = 'big_w_'): Promise<LargeWriteFigure> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ name: `${prefix}${i}`, description: 'bench registration into a large registry', handler: 'get_time' });
    const started = performance.now();
    const response = await fetch(`${baseUrl}/tools`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 201) throw new Error(`POST /tools into ${tools} tools answered ${response.status}`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 100) / 100;
  return { tools, count, p50Ms: at(0.5), p99Ms: at(0.99) };
}
