import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeIn } from '../../src/handlers/utility/get_time.ts';

/**
 * An Intl formatter holds ICU memory outside the JavaScript heap, which the
 * garbage collector does not count: made per call, sustained get_time calls
 * grew the process by hundreds of MB of native memory (hardening issue,
 * finding 7). A zone's formatters are made once and reused.
 */
describe('get_time formatters', () => {
  const Original = Intl.DateTimeFormat;
  let made = 0;
  beforeEach(() => {
    made = 0;
    // Counts constructions and is otherwise the real formatter.
    Intl.DateTimeFormat = class extends Original {
      constructor(...args: ConstructorParameters<typeof Original>) {
        super(...args);
        made++;
      }
    } as typeof Original;
  });
  afterEach(() => {
    Intl.DateTimeFormat = Original;
  });

  it('are made once per zone, not per call', () => {
    const now = new Date('2026-03-29T00:30:00Z');
    const first = timeIn('Pacific/Chatham', now);
    expect(made).toBeGreaterThan(0);
    const after = made;
    for (let i = 0; i < 500; i++) expect(timeIn('Pacific/Chatham', now)).toEqual(first);
    expect(made).toBe(after);
    expect(first.utcOffset).toBe('+13:45');
  });

  it('stay bounded when callers invent zone spellings, and an unknown zone is still refused', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    for (let i = 0; i < 300; i++) timeIn(i % 2 ? 'utc' : 'UTC', now);
    expect(() => timeIn('Mars/Olympus_Mons', now)).toThrow(/unknown time zone "Mars\/Olympus_Mons"/);
    made = 0;
    expect(timeIn('utc', now).timezone).toBe('UTC');
    expect(made).toBe(0);
  });
});
