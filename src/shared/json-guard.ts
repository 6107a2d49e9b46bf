/**
 * One pass over a parsed request body, before anything else looks at it
 * (REST readJson, the /mcp body read):
 *
 * - nesting deeper than TOOLPORT_MAX_JSON_DEPTH is refused: JSON.parse copes
 *   with any depth, but schema compilers, validators and serializers recurse
 *   and would overflow the stack;
 * - NUL (U+0000) in a string or key is refused: PostgreSQL cannot store it in
 *   text or jsonb, so it would fail deep in a query instead of here;
 * - lone surrogates (`"\ud800"`) are refused: they are not Unicode text, and
 *   the database would silently store U+FFFD instead.
 *
 * The walk is iterative, so a hostile depth cannot overflow it either.
 */

export interface JsonProblem {
  /** JSON pointer of the offending value or key ("/" for the whole body). */
  path: string;
  message: string;
  kind: 'depth' | 'nul' | 'surrogate';
}

export interface JsonGuardOptions {
  /** Objects and arrays nested deeper than this are refused (`{}` is depth 1). */
  maxDepth: number;
  /**
   * The JSON text the value was parsed from. NUL and lone surrogates can only
   * come from `\u` escapes (raw control characters are invalid JSON, and UTF-8
   * decoding never yields a lone surrogate), so text without `\u` skips the
   * string checks.
   */
  text?: string;
}

interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  key: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const isWellFormed: (text: string) => boolean = nativeWellFormed ? (text) => nativeWellFormed.call(text) : (text) => !LONE_SURROGATE.test(text);

/** What is wrong with a string, if anything. */
function stringProblem(text: string): Omit<JsonProblem, 'path'> | undefined {
  if (text.includes('\u0000')) return { kind: 'nul', message: 'contains a NUL character (\\u0000), which cannot be stored' };
  if (!isWellFormed(text))
    return { kind: 'surrogate', message: 'contains a lone surrogate (an unpaired \\ud800–\\udfff escape), which is not valid Unicode text' };
  return undefined;
}

const SEGMENT_MAX = 40;

/** One pointer segment, readable: `~` and `/` escaped as in RFC 6901, NUL and surrogates shown as escapes, long keys cut. */
function segment(key: string): string {
  const shown = key.length > SEGMENT_MAX ? `${key.slice(0, SEGMENT_MAX)}…` : key;
  return shown
    .replace(/~/g, '~0')
    .replace(/\//g, '~1')
    .replace(/[\u0000\uD800-\uDFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function pointer(frame: Frame | undefined, last?: string): string {
  const keys: string[] = last === undefined ? [] : [last];
  for (let current = frame; current?.parent; current = current.parent) keys.push(current.key);
  return keys.length ? `/${keys.reverse().map(segment).join('/')}` : '/';
}

/** One child of `frame`: its problem, or pushed on the stack to be walked (a module function, not a closure per frame: this runs on every request). */
function visit(child: unknown, key: string, frame: Frame, stack: Frame[], strings: boolean, maxDepth: number): JsonProblem | undefined {
  if (typeof child === 'string') {
    const problem = strings ? stringProblem(child) : undefined;
    return problem && { path: pointer(frame, key), ...problem };
  }
  if (typeof child !== 'object' || child === null) return undefined;
  if (frame.depth + 1 > maxDepth) return { path: pointer(frame, key), kind: 'depth', message: depthMessage(maxDepth) };
  stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
  return undefined;
}

/** The first problem of a parsed JSON value, or undefined when it may go on. */
export function findJsonProblem(value: unknown, options: JsonGuardOptions): JsonProblem | undefined {
  const { maxDepth, text } = options;
  const strings = text === undefined || text.includes('\\u');
  if (typeof value === 'string') {
    const problem = strings ? stringProblem(value) : undefined;
    return problem && { path: '/', ...problem };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (maxDepth < 1) return { path: '/', kind: 'depth', message: depthMessage(maxDepth) };
  // Nesting d levels takes at least 2d characters ("[[…]]"): a short text without escapes has nothing to find.
  if (!strings && text !== undefined && text.length < 2 * (maxDepth + 1)) return undefined;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: '' }];
  while (stack.length) {
    const frame = stack.pop()!;
    if (Array.isArray(frame.value)) {
      const items = frame.value as unknown[];
      for (let index = 0; index < items.length; index++) {
        const problem = visit(items[index], String(index), frame, stack, strings, maxDepth);
        if (problem) return problem;
      }
    } else {
      const record = frame.value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const keyProblem = strings ? stringProblem(key) : undefined;
        if (keyProblem) return { path: pointer(frame, key), kind: keyProblem.kind, message: `is a key that ${keyProblem.message}` };
        const problem = visit(record[key], key, frame, stack, strings, maxDepth);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

function depthMessage(maxDepth: number): string {
  return `is nested deeper than ${maxDepth} levels of objects and arrays (TOOLPORT_MAX_JSON_DEPTH=${maxDepth})`;
}

/** "Invalid request body: /config/a is nested deeper than …" */
export function jsonProblemMessage(problem: JsonProblem): string {
  return `Invalid request body: ${problem.path} ${problem.message}`;
}
