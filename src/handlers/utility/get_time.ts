import * as v from 'valibot';
import { LruMap } from '../../shared/lru-map.ts';
import { defineHandler, ToolInputError } from '../define.ts';

/**
 * Everything comes from Intl (the ICU time zone data built into Node), so
 * there is no data file to keep current and no network call.
 */

const Output = v.object({
  timezone: v.pipe(v.string(), v.description('The IANA time zone used (as Intl names it).')),
  timeZoneName: v.pipe(v.string(), v.description('Long English name of the zone at this instant, e.g. "India Standard Time".')),
  iso: v.pipe(v.string(), v.description('The current time in that zone, ISO 8601 with its offset, e.g. "2025-01-01T17:30:00+05:30".')),
  utc: v.pipe(v.string(), v.description('The same instant in UTC, e.g. "2025-01-01T12:00:00.000Z".')),
  date: v.pipe(v.string(), v.description('Local date, YYYY-MM-DD.')),
  time: v.pipe(v.string(), v.description('Local time, HH:MM:SS (24-hour).')),
  weekday: v.pipe(v.string(), v.description('Local day of the week, e.g. "Wednesday".')),
  formatted: v.pipe(v.string(), v.description('Human-readable local date and time, e.g. "Wednesday, January 1, 2025 at 17:30:00".')),
  utcOffset: v.pipe(v.string(), v.description('Offset from UTC, ±HH:MM, e.g. "+05:30".')),
  utcOffsetMinutes: v.pipe(v.number(), v.description('Offset from UTC in minutes, e.g. 330.')),
  unixTime: v.pipe(v.number(), v.description('Seconds since 1970-01-01T00:00:00Z.')),
});

export type TimeResult = v.InferOutput<typeof Output>;

interface ZoneFormatters {
  parts: Intl.DateTimeFormat;
  month: Intl.DateTimeFormat;
  /** The zone as Intl names it (`utc` → `UTC`), read once. */
  name: string;
}

/**
 * Formatters by zone name, the most recently used kept. An Intl formatter
 * holds ICU memory outside the JavaScript heap that the garbage collector
 * does not see: made per call, 30 s of calls grew the process by ~700 MB of
 * native memory that it never gave back. ~600 zones exist; the bound also
 * covers the spellings a caller may invent.
 */
const formatters = new LruMap<string, ZoneFormatters>(128);

function formattersFor(timeZone: string): ZoneFormatters {
  const known = formatters.get(timeZone);
  if (known) return known;
  let made: ZoneFormatters;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
      timeZoneName: 'long',
    });
    made = { parts, month: new Intl.DateTimeFormat('en-US', { timeZone, month: 'long' }), name: parts.resolvedOptions().timeZone };
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ToolInputError(`unknown time zone "${timeZone}": use an IANA name such as "UTC", "Europe/London" or "Asia/Kolkata"`, '/timezone');
    }
    throw error;
  }
  formatters.set(timeZone, made);
  return made;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  const hours = String(Math.floor(absolute / 60)).padStart(2, '0');
  return `${sign}${hours}:${String(absolute % 60).padStart(2, '0')}`;
}

/** The wall-clock reading of `now` in `timeZone`; throws ToolInputError for an unknown zone. */
export function timeIn(timeZone: string, now: Date): TimeResult {
  const { parts: formatter, month: monthFormatter, name } = formattersFor(timeZone);
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(now)) parts[part.type] = part.value;
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  const [hour, minute, second] = [Number(parts.hour), Number(parts.minute), Number(parts.second)];
  // Offset = the wall clock read as if it were UTC, minus the instant (whole seconds).
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const instant = Math.floor(now.getTime() / 1000) * 1000;
  const offsetMinutes = Math.round((wallAsUtc - instant) / 60_000);
  const date = `${String(year).padStart(4, '0')}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  const utcOffset = formatOffset(offsetMinutes);
  const monthName = monthFormatter.format(now);
  return {
    timezone: name,
    timeZoneName: parts.timeZoneName ?? timeZone,
    iso: `${date}T${time}${utcOffset}`,
    utc: now.toISOString(),
    date,
    time,
    weekday: parts.weekday ?? '',
    formatted: `${parts.weekday}, ${monthName} ${day}, ${year} at ${time}`,
    utcOffset,
    utcOffsetMinutes: offsetMinutes,
    unixTime: Math.floor(now.getTime() / 1000),
  };
}

export const getTime = defineHandler({
  name: 'get_time',
  title: 'Get current time',
  description:
    'Get the current date and time in an IANA time zone (e.g. "America/New_York", "Europe/Berlin", "Asia/Kolkata"; ' +
    'default "UTC"): ISO 8601 local time with offset, the same instant in UTC, local date, time and weekday, the UTC ' +
    'offset ("+05:30" and in minutes, daylight saving time included) and the zone\'s long name. Use it to answer ' +
    '"what time is it in …" or to convert between zones. An unknown zone name is an error.',
  input: v.object({
    timezone: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1, 'must not be empty'),
        v.maxLength(64, 'must be at most 64 characters'),
        v.description('IANA time zone name, e.g. "UTC", "Europe/London", "America/Los_Angeles", "Asia/Kolkata".'),
      ),
      'UTC',
    ),
  }),
  output: Output,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run(input) {
    return timeIn(input.timezone, new Date());
  },
});
