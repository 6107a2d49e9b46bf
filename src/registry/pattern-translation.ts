/**
 * ECMA-262 patterns (u flag) in RE2 syntax, keeping their ECMA-262 meaning,
 * with an estimate of the RE2 program size made while reading, so a pattern
 * far too large is refused before RE2 spends long compiling it. Used by
 * linear-regexp.ts, which compiles and runs the result.
 */

/**
 * Largest RE2 program accepted for one pattern, in instructions (repetition
 * counted out: `[a-z]{500}` is 500). RE2 matches in time proportional to
 * program × input, so this bounds the cost per character of caller data.
 */
export const MAX_PATTERN_PROGRAM = 1_000;

/** ECMA-262 `\s`: white space and line terminators. RE2's own `\s` is ASCII only. */
const WHITE_SPACE = '\\t\\n\\v\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
/** ECMA-262 `.` without the s flag: anything but a line terminator. RE2's `.` excludes only `\n`. */
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

export class PatternError extends Error {}

function hex(codePoint: number): string {
  return `\\x{${codePoint.toString(16)}}`;
}

/** `\u` with four hex digits, or `\u{…}`, at `at` (the backslash): the code point and the length read; a surrogate pair of escapes is one code point (u flag). */
function unicodeEscape(pattern: string, at: number): { codePoint: number; length: number } {
  if (pattern[at + 2] === '{') {
    const end = pattern.indexOf('}', at + 3);
    return { codePoint: Number.parseInt(pattern.slice(at + 3, end), 16), length: end + 1 - at };
  }
  const unit = Number.parseInt(pattern.slice(at + 2, at + 6), 16);
  if (unit >= 0xd800 && unit <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(pattern.slice(at + 6, at + 12))) {
    const low = Number.parseInt(pattern.slice(at + 8, at + 12), 16);
    return { codePoint: (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000, length: 12 };
  }
  return { codePoint: unit, length: 6 };
}

export function tooLarge(size: number | undefined): PatternError {
  return new PatternError(
    `compiles to ${size === undefined ? `far more than ${MAX_PATTERN_PROGRAM}` : `${size}`} instructions of the linear-time engine${size === undefined ? '' : `, more than ${MAX_PATTERN_PROGRAM}`} ` +
      '(repetitions are counted out: x{500} is about 500, x{0,500} about 1000; for a length, use minLength/maxLength)',
  );
}

/**
 * An estimate of the RE2 program's size as the pattern is read (about one
 * instruction per atom, repetitions multiplied out), so a pattern such as
 * `(\p{L}{1000}){50}` is refused before RE2 spends long compiling it.
 */
class SizeEstimate {
  private readonly groups: { total: number; last: number }[] = [{ total: 0, last: 0 }];

  atom(size = 1): void {
    const group = this.groups[this.groups.length - 1]!;
    group.total += size;
    group.last = size;
    this.check(group.total);
  }

  open(): void {
    this.groups.push({ total: 0, last: 0 });
  }

  close(): void {
    const group = this.groups.pop()!;
    this.atom(group.total + 2);
  }

  alternative(): void {
    const group = this.groups[this.groups.length - 1]!;
    group.total += 1;
    group.last = 0;
  }

  /** The last atom repeated up to `times` in all (1 for `*`, `+`, `?`: a loop, not copies), `optional` of them with a branch each. */
  repeat(times: number, optional = 0): void {
    const group = this.groups[this.groups.length - 1]!;
    group.total += group.last * Math.max(0, times - 1) + optional + 1;
    group.last = group.last * Math.max(1, times) + optional + 1;
    this.check(group.total);
  }

  /** Generous (the exact size is checked after compiling): only a pattern far too large stops here. */
  private check(size: number): void {
    if (size > 2 * MAX_PATTERN_PROGRAM) throw tooLarge(undefined);
  }
}

const QUANTIFIER = /\{(\d+)(,?)(\d*)\}/y;

/**
 * ECMA-262 (u flag) → RE2 syntax, same meaning. Throws PatternError naming
 * what is not supported, or a program far too large. The pattern is known to
 * be valid ECMA-262.
 */
export function translate(pattern: string): string {
  let out = '';
  let inClass = false;
  /** The open class: where it starts in `out`, whether negated, whether it holds `\S` (which RE2 reads as ASCII inside a class). */
  let klass = { start: 0, negated: false, notSpace: false };
  const size = new SizeEstimate();
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[i + 1]!;
      if (next >= '1' && next <= '9') {
        throw new PatternError(`uses a backreference (\\${/^\d+/.exec(pattern.slice(i + 1))![0]}), which a linear-time engine cannot run`);
      }
      if (next === 'k') throw new PatternError('uses a named backreference (\\k<…>), which a linear-time engine cannot run');
      if (!inClass) size.atom();
      if (next === 's') {
        out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      } else if (next === 'S') {
        if (inClass) klass.notSpace = true;
        else out += `[^${WHITE_SPACE}]`;
      } else if (next === 'u') {
        const unicode = unicodeEscape(pattern, i);
        out += hex(unicode.codePoint);
        i += unicode.length;
        continue;
      } else if (next === 'c') {
        out += hex(pattern.charCodeAt(i + 2) % 32);
        i += 3;
        continue;
      } else if (next === '0') {
        out += hex(0);
      } else if (next === 'b' && inClass) {
        out += hex(8);
      } else if ((next === 'p' || next === 'P') && pattern[i + 2] === '{') {
        const property = pattern.slice(i, pattern.indexOf('}', i) + 1); // \p{L}, \P{Script=Greek}: RE2 refuses what it does not know
        out += property;
        i += property.length;
        continue;
      } else {
        // \d \D \w \W \b \B \t \n \r \f \v \xHH and escaped syntax characters mean the same in RE2.
        out += `\\${next}`;
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (char === ']') {
        inClass = false;
        if (klass.notSpace) {
          // [x\S] → (?:[x]|[^\s]) with ECMA-262's \s; a negated one would need a class difference, which RE2 lacks.
          if (klass.negated) throw new PatternError('uses \\S inside a negated class ([^…\\S…]), which the linear-time engine cannot express');
          const inner = out.slice(klass.start + 1);
          out = `${out.slice(0, klass.start)}(?:${inner ? `[${inner}]|` : ''}[^${WHITE_SPACE}])`;
          i++;
          continue;
        }
      }
      out += char === '[' ? '\\[' : char; // `[` is literal in an ECMA-262 class; RE2 would read `[:alpha:]`
      i++;
      continue;
    }
    if (char === '(') {
      size.open();
      if (pattern[i + 1] === '?') {
        const head = pattern.slice(i, i + 4);
        if (head.startsWith('(?=') || head.startsWith('(?!'))
          throw new PatternError(`uses a lookahead (${head.slice(0, 3)}…), which a linear-time engine cannot run`);
        if (head === '(?<=' || head === '(?<!') throw new PatternError(`uses a lookbehind (${head}…), which a linear-time engine cannot run`);
        if (head.startsWith('(?:')) {
          out += '(?:';
          i += 3;
          continue;
        }
        if (head.startsWith('(?<')) {
          const name = pattern.slice(i + 3, pattern.indexOf('>', i));
          out += `(?P<${name}>`;
          i += 4 + name.length;
          continue;
        }
      }
      out += char;
    } else if (char === ')') {
      size.close();
      out += char;
    } else if (char === '|') {
      size.alternative();
      out += char;
    } else if (char === '*' || char === '+' || char === '?') {
      size.repeat(1);
      out += char;
    } else if (char === '{') {
      // With the u flag a `{` is always a quantifier: {n}, {n,} or {n,m}.
      QUANTIFIER.lastIndex = i;
      const [quantifier, min, comma, max] = QUANTIFIER.exec(pattern)!;
      size.repeat(max ? Number(max) : comma ? Number(min) + 1 : Number(min), max ? Number(max) - Number(min) : 0);
      out += quantifier;
      i += quantifier.length;
      continue;
    } else if (char === '.') {
      size.atom();
      out += DOT;
    } else if (char === '[') {
      size.atom();
      if (pattern[i + 1] === ']') {
        out += '[^\\x{0}-\\x{10ffff}]'; // matches nothing
        i += 2;
        continue;
      }
      if (pattern.startsWith('[^]', i)) {
        out += '[\\x{0}-\\x{10ffff}]'; // matches anything
        i += 3;
        continue;
      }
      inClass = true;
      klass = { start: out.length, negated: pattern[i + 1] === '^', notSpace: false };
      out += '[';
      if (klass.negated) {
        out += '^';
        i++;
        klass.start++;
      }
    } else {
      size.atom();
      out += char;
    }
    i++;
  }
  return out;
}
