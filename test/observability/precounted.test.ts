import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CALL_DURATION_BUCKETS } from '../../src/observability/metrics.ts';
import { CountsByThree, collectInto, PrecountedHistogram } from '../../src/observability/precounted.ts';

/** The exposition's lines in order (series of a counter come grouped by their first label here, by first use in prom-client). */
const sortedLines = (text: string) => text.split('\n').sort();

/** Values on both sides of every bound, on the bounds themselves, above the last and zero. */
const OBSERVED = [0, 0.00005, 0.0001, 0.00011, 0.0004, 0.0009, 0.003, 0.02, 0.2, 0.7, 1, 3, 9.9, 10, 42, 0.0001, 0.0025];

describe('precounted series', () => {
  it('expose a histogram in exactly the lines a prom-client Histogram of the same buckets and label writes', async () => {
    const theirs = new Registry();
    const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['server'], buckets: CALL_DURATION_BUCKETS, registers: [theirs] });
    const ours = new Registry();
    const precounted = new PrecountedHistogram('h_seconds', 'help text', 'server', CALL_DURATION_BUCKETS);
    precounted.registerIn(ours);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const [i, value] of OBSERVED.entries()) {
      const server = i % 3 === 0 ? 'utility' : 'finance';
      reference.labels(server).observe(value);
      precounted.observe(server, value);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.0001",server="finance"}');
    expect(text).toContain(`h_seconds_count{server="finance"} ${OBSERVED.filter((_, i) => i % 3 !== 0).length}`);
    expect((await ours.getMetricsAsJSON())[0]?.values.length).toBe(2 * (CALL_DURATION_BUCKETS.length + 3));
    precounted.reset();
    expect(await ours.metrics()).toBe('# HELP h_seconds help text\n# TYPE h_seconds histogram\n');
  });

  it('hand counts to a prom-client counter at each scrape: the same series and values as counting with prom-client directly', async () => {
    const theirs = new Registry();
    const reference = new Counter({ name: 'c_total', help: 'calls', labelNames: ['server', 'tool', 'outcome'], registers: [theirs] });
    const counts = new CountsByThree();
    const ours = new Registry();
    new Counter({
      name: 'c_total',
      help: 'calls',
      labelNames: ['server', 'tool', 'outcome'],
      registers: [ours],
      collect() {
        collectInto(this, counts, ['server', 'tool', 'outcome']);
      },
    });
    const calls: [string, string, string | number][] = [
      ['finance', 'get_stock_price', 'ok'],
      ['finance', 'get_stock_price', 'ok'],
      ['finance', 'get_stock_price', 'bad_request'],
      ['utility', 'get_time', 200],
      ['finance', 'calculate_portfolio', 'ok'],
    ];
    for (const [server, tool, outcome] of calls) {
      counts.inc(server, tool, outcome);
      reference.inc({ server, tool, outcome: String(outcome) });
    }
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
    // A second scrape shows the same totals (collect starts from zero each time), and counts go on.
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
    counts.inc('utility', 'get_time', 200);
    reference.inc({ server: 'utility', tool: 'get_time', outcome: '200' });
    const text = await ours.metrics();
    expect(sortedLines(text)).toEqual(sortedLines(await theirs.metrics()));
    expect(text).toContain('c_total{server="utility",tool="get_time",outcome="200"} 2');
    expect(text).toContain('c_total{server="finance",tool="get_stock_price",outcome="ok"} 2');
  });
});
