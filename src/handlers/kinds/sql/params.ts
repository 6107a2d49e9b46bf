/**
 * The statement of an `sql` tool: `:name` parameters become `$1, $2 …` bound
 * as real query parameters (a name used twice binds once), and `{{name}}`
 * identifier placeholders are filled at call time from an allow-list, quoted.
 * Placeholders are found by a small lexer that skips everything where a
 * colon or brace is not ours: string literals ('…' with '', E'…' with
 * backslash escapes), "quoted identifiers", dollar-quoted bodies
 * ($tag$…$tag$), -- and nested /* *\/ comments, and `::type` casts.
 *
 * Not parameters: `::` (a cast), `:1` (a digit: array slices like a[1:2]).
 * Write a slice with names as `a[lo : hi]` (spaces) — `a[lo:hi]` reads `:hi`
 * as a parameter.
 */

export type Segment = { text: string } | { identifier: string };

export interface ParsedStatement {
  /** The statement with `$n` in place of each `:name`; identifier placeholders split it into segments. */
  segments: Segment[];
  /** Parameter names in `$n` order ($1 is parameters[0]). */
  parameters: string[];
  /** Identifier placeholder names, in order of first use. */
  identifiers: string[];
  /** What makes the statement unusable as a tool's (positional $1, several statements, an unclosed literal …). */
  problems: string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
const IDENTIFIER_PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

export function parseStatement(statement: string): ParsedStatement {
  const segments: Segment[] = [];
  const parameters: string[] = [];
  const identifiers: string[] = [];
  const problems: string[] = [];
  let out = '';
  let i = 0;
  const n = statement.length;
  const copyUntil = (end: number) => {
    out += statement.slice(i, end);
    i = end;
  };

  while (i < n) {
    const c = statement[i]!;
    const next = statement[i + 1];
    // -- comment to end of line
    if (c === '-' && next === '-') {
      const end = statement.indexOf('\n', i);
      copyUntil(end === -1 ? n : end + 1);
      continue;
    }
    // /* comment */, nested as Postgres nests them
    if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (statement[j] === '/' && statement[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (statement[j] === '*' && statement[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      if (depth > 0) problems.push('has an unclosed /* comment');
      copyUntil(j);
      continue;
    }
    // E'…' (backslash escapes) and '…' ('' escapes); also the quote of U&'…', B'…', X'…' (no backslash escapes there)
    if (c === "'") {
      const escapes = i > 0 && /[Ee]/.test(statement[i - 1]!) && (i < 2 || !NAME_CHAR.test(statement[i - 2]!));
      let j = i + 1;
      for (;;) {
        if (j >= n) {
          problems.push('has an unclosed string literal');
          break;
        }
        const d = statement[j]!;
        if (escapes && d === '\\') {
          j += 2;
          continue;
        }
        if (d === "'") {
          if (statement[j + 1] === "'") {
            j += 2;
            continue;
          }
          j++;
          break;
        }
        j++;
      }
      copyUntil(Math.min(j, n));
      continue;
    }
    // "quoted identifier" ("" escapes)
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= n) {
          problems.push('has an unclosed quoted identifier');
          break;
        }
        if (statement[j] === '"') {
          if (statement[j + 1] === '"') {
            j += 2;
            continue;
          }
          j++;
          break;
        }
        j++;
      }
      copyUntil(Math.min(j, n));
      continue;
    }
    if (c === '$') {
      // $1: positional parameters are ours to number.
      if (next !== undefined && /[0-9]/.test(next) && (i === 0 || !NAME_CHAR.test(statement[i - 1]!))) {
        problems.push('uses a positional parameter ($1 …): write named parameters (:name)');
        copyUntil(i + 1);
        continue;
      }
      // $tag$ … $tag$, unless the $ is inside a name (a$b is an identifier)
      const tag = i === 0 || !NAME_CHAR.test(statement[i - 1]!) ? DOLLAR_TAG.exec(statement.slice(i)) : null;
      if (tag) {
        const close = statement.indexOf(tag[0], i + tag[0].length);
        if (close === -1) problems.push(`has an unclosed dollar-quoted string (${tag[0]})`);
        copyUntil(close === -1 ? n : close + tag[0].length);
        continue;
      }
      copyUntil(i + 1);
      continue;
    }
    if (c === ':') {
      // :: cast (and := of PL/pgSQL): never a parameter
      if (next === ':' || next === '=') {
        copyUntil(i + 2);
        continue;
      }
      if (next !== undefined && NAME_START.test(next)) {
        let j = i + 2;
        while (j < n && NAME_CHAR.test(statement[j]!)) j++;
        const name = statement.slice(i + 1, j);
        let index = parameters.indexOf(name);
        if (index === -1) {
          parameters.push(name);
          index = parameters.length - 1;
        }
        out += `$${index + 1}`;
        i = j;
        continue;
      }
      copyUntil(i + 1);
      continue;
    }
    if (c === '{' && next === '{') {
      const match = IDENTIFIER_PLACEHOLDER.exec(statement.slice(i));
      if (match) {
        if (out) segments.push({ text: out });
        out = '';
        segments.push({ identifier: match[1]! });
        if (!identifiers.includes(match[1]!)) identifiers.push(match[1]!);
        i += match[0].length;
        continue;
      }
    }
    if (c === ';') {
      // A trailing ; (with only space and comments after it) is fine; anything after it is a second statement.
      const rest = parseStatement(statement.slice(i + 1));
      const restText = rest.segments.map((segment) => ('text' in segment ? segment.text : 'x')).join('');
      if (stripComments(restText).trim() !== '') problems.push('holds more than one statement: a tool runs exactly one');
      i = n;
      continue;
    }
    copyUntil(i + 1);
  }
  if (out) segments.push({ text: out });
  return { segments, parameters, identifiers, problems };
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/**
 * A quoted identifier, the way Postgres's quote_ident and postgres.js's escape write one — always quoted, so
 * case and reserved words are kept — with a dot splitting a schema-qualified name (`public.items` →
 * "public"."items"), as postgres.js does.
 */
export function quoteIdentifier(value: string): string {
  return value
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

/** Problems of an allow-list value: empty parts, NUL, parts longer than Postgres keeps (63 bytes). */
export function identifierProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'must not contain NUL';
  const parts = value.split('.');
  if (parts.length > 3) return 'has more than three dot-separated parts';
  for (const part of parts) {
    if (part === '') return 'has an empty part (a leading, trailing or double dot)';
    if (Buffer.byteLength(part) > 63) return `part "${part}" is longer than 63 bytes (Postgres would cut it)`;
  }
  return undefined;
}

/** The statement text with each identifier placeholder replaced by its quoted value. */
export function renderStatement(segments: readonly Segment[], identifiers: Record<string, string>): string {
  let text = '';
  for (const segment of segments) text += 'text' in segment ? segment.text : quoteIdentifier(identifiers[segment.identifier]!);
  return text;
}
