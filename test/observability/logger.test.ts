import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../src/shared/logger.ts';

/** The pino logger: JSON lines with level names and ISO times, levels honoured, credentials redacted. */
describe('the log (pino)', () => {
  const capture = (level: Parameters<typeof createLogger>[0]) => {
    const lines: string[] = [];
    return { lines, logger: createLogger(level, (line) => lines.push(line)) };
  };

  it('writes one JSON line per event: level by name, ISO time, the fields, msg', () => {
    const { lines, logger } = capture('info');
    logger.info('listening', { server: 'finance', url: 'http://127.0.0.1:3001' });
    logger.debug('not shown at info');
    logger.warn('careful', { count: 2 });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      server: 'finance',
      url: 'http://127.0.0.1:3001',
      msg: 'listening',
    });
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', count: 2, msg: 'careful' });
  });

  it('censors credential-like fields at the top level and one level down, whatever the caller passed', () => {
    const { lines, logger } = capture('debug');
    logger.error('request failed', {
      authorization: 'Bearer tp_abcdefgh_secretpart',
      headers: { authorization: 'Bearer another-secret', 'content-type': 'application/json' },
      password: 'hunter2',
      source: { token: 'tok-123', secret: 's3cr3t', host: 'db.example.com' },
      apiKey: 'k-999',
    });
    const line = lines.join('\n');
    for (const secret of ['tp_abcdefgh_secretpart', 'another-secret', 'hunter2', 'tok-123', 's3cr3t', 'k-999']) expect(line).not.toContain(secret);
    const entry = JSON.parse(lines[0]!);
    expect(entry.headers).toEqual({ authorization: REDACTED, 'content-type': 'application/json' });
    expect(entry.source).toEqual({ token: REDACTED, secret: REDACTED, host: 'db.example.com' });
    expect(entry.password).toBe(REDACTED);
  });

  it('silent writes nothing', () => {
    const { lines, logger } = capture('silent');
    logger.error('never');
    expect(lines).toEqual([]);
  });
});
