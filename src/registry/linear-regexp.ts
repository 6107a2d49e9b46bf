import { RE2JS } from 're2js';
import { LruMap } from '../shared/lru-map.ts';
import { MAX_PATTERN_PROGRAM, PatternError, tooLarge, translate } from './pattern-translation.ts';

/**
 * The regular expressions of stored schemas (`pattern`, `patternProperties`)
 * run on caller data, so they run on a linear-time engine: RE2 (re2js, pure
 * JavaScript). A backtracking engine takes exponential time on patterns such
 * as `^(a+)+$`; RE2 takes time proportional to pattern × input, always.
 *
 * Patterns are written in ECMA-262 syntax (what JSON Schema specifies, and
 * what ajv used with the `u` flag), checked as such, and translated to RE2
 * syntax keeping ECMA-262 meaning (`\s`, `.`, `\u` with four hex digits, `(?<name>…)`, `[^]` …).
 * What RE2 cannot do in linear time is refused: backreferences (`\1`,
 * `\k<name>`) and lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`).
 */

/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 1_000;

export { MAX_PATTERN_PROGRAM, PatternError } from './pattern-translation.ts';

/**
 * Work the patterns may do in one validation, in characters × instructions.
 * RE2 runs in time proportional to both, and re2js, on a pattern its DFA
 * gives up on (`a[ab]{20}\d` over a/b text), takes up to ~100 ns per
 * character and instruction: unbounded, a 1 MiB argument against a
 * 1,000-instruction pattern would take minutes. This bound keeps the worst
 * case near 100 ms, while an email-sized pattern (13 instructions, run by the
 * DFA in a few ns a character) still checks 75,000 characters per call.
 */
export const PATTERN_WORK_PER_CALL = 1_000_000;

/** The budget left in the validation running now (validation is synchronous: one at a time), and what first went over it. */
let workLeft = Number.POSITIVE_INFINITY;
let overBudget: { pattern: string; length: number } | undefined;

/** Start one validation's pattern budget (no closure or result object: this runs on every call). */
export function startPatternBudget(): void {
  workLeft = PATTERN_WORK_PER_CALL;
  overBudget = undefined;
}

/**
 * End the validation started last: the string that was not checked because
 * the budget ran out, if any (its pattern then counted as not matching, so
 * the validation failed at that string).
 */
export function endPatternBudget(): { pattern: string; length: number } | undefined {
  const over = overBudget;
  workLeft = Number.POSITIVE_INFINITY;
  overBudget = undefined;
  return over;
}

export interface LinearRegExp {
  test(input: string): boolean;
  /** ajv keys compiled patterns by this: it must differ between patterns. */
  toString(): string;
  /** Instructions of the RE2 program. */
  readonly size: number;
}

const compiled = new LruMap<string, LinearRegExp>(2_000);

/**
 * A pattern compiled for RE2 (cached by pattern text). Throws PatternError
 * with the reason when the pattern is too long or too large, not valid
 * ECMA-262, or not runnable in linear time.
 */
export function linearRegExp(pattern: string): LinearRegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new PatternError(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  try {
    new RegExp(pattern, 'u'); // only parsed, never run: the syntax JSON Schema specifies
  } catch (error) {
    throw new PatternError(`is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
  let engine: RE2JS;
  try {
    engine = RE2JS.compile(translate(pattern));
  } catch (error) {
    if (error instanceof PatternError) throw error;
    throw new PatternError(`is not supported by the linear-time engine (RE2): ${(error as Error).message.replace(/^error parsing regexp: /, '')}`);
  }
  const size = engine.programSize();
  if (size > MAX_PATTERN_PROGRAM) throw tooLarge(size);
  const test = (input: string): boolean => {
    const work = input.length * size;
    if (work > workLeft) {
      overBudget ??= { pattern, length: input.length };
      workLeft = 0;
      return false;
    }
    workLeft -= work;
    return engine.test(input);
  };
  const regExp: LinearRegExp = { test, toString: () => `/${pattern}/u`, size };
  compiled.set(pattern, regExp);
  return regExp;
}

/** The program size of a usable pattern, or the reason it is not usable. */
export function checkPattern(pattern: string): { size: number } | { problem: string } {
  try {
    return { size: linearRegExp(pattern).size };
  } catch (error) {
    if (error instanceof PatternError) return { problem: error.message };
    throw error;
  }
}

/** ajv's `code.regExp` engine (`code` is what standalone code would import; Toolport does not generate standalone code). */
export const ajvRegExpEngine = Object.assign((pattern: string, _flags: string) => linearRegExp(pattern), {
  code: 'require("re2js").RE2JS',
});
