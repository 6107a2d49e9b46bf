import { AppError } from '../shared/errors.ts';

/** A key lifetime as people write it: `30d`, `12h`, `90m`, `45s`, `2w` → milliseconds. */
const DURATION = /^([1-9][0-9]{0,5})(s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string, path = '/expiresIn'): number {
  const match = DURATION.exec(typeof text === 'string' ? text.trim() : '');
  if (!match) {
    const shown = JSON.stringify(String(text).slice(0, 40));
    throw new AppError('bad_request', `Duration ${shown} is not valid: write a number and a unit s, m, h, d or w (e.g. 30d, 12h)`, {
      details: [{ path, message: 'must be <number><s|m|h|d|w>, e.g. 30d' }],
    });
  }
  return Number(match[1]) * DURATION_MS[match[2]!]!;
}
