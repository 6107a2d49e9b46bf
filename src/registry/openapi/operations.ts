import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { Json } from './load.ts';

/**
 * The operations of a document, each with the tool name it gets: the
 * `operationId` made valid (at most 64 of A–Z a–z 0–9 _ -, the subset every
 * model API accepts), or `METHOD_path` without one; names that come out
 * equal get `_2`, `_3` … in document order. Names are given over the whole
 * document, before any filter, so a tool keeps its name whatever is included.
 */

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  method: string;
  path: string;
  /** `GET /pet/{petId}`: the key a re-import matches on (config.origin.operation). */
  key: string;
  operationId: string | undefined;
  name: string;
  pathItem: Json;
  operation: Json;
}

export interface Collision {
  name: string;
  operations: string[];
}

const MAX_NAME = 64;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any text → 1–64 of [A-Za-z0-9_-]; a cut name ends with a short hash of the whole, so two long names stay apart. */
export function toolNameOf(text: string, max = MAX_NAME): string {
  const cleaned =
    text
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_+|_+$/g, '') || 'operation';
  if (cleaned.length <= max) return cleaned;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, max - 9).replace(/_+$/, '')}_${hash}`;
}

export function listOperations(api: Json): { operations: Operation[]; collisions: Collision[] } {
  const operations: Operation[] = [];
  const paths = isObject(api.paths) ? api.paths : {};
  for (const [path, pathItem] of Object.entries(paths)) {
    if (!isObject(pathItem)) continue;
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation)) continue;
      const operationId = typeof operation.operationId === 'string' && operation.operationId.trim() ? operation.operationId.trim() : undefined;
      const key = `${method.toUpperCase()} ${path}`;
      const name = toolNameOf(operationId ?? `${method.toUpperCase()}_${path}`);
      operations.push({ method, path, key, operationId, name, pathItem, operation });
    }
  }
  return { operations, collisions: disambiguate(operations) };
}

/** Equal names (case-insensitively, since some clients fold case) get `_2`, `_3` …; reports each group. */
function disambiguate(operations: Operation[]): Collision[] {
  const taken = new Set(operations.map((operation) => operation.name.toLowerCase()));
  const firstOf = new Map<string, Operation>();
  const groups = new Map<string, Collision>();
  for (const operation of operations) {
    const lower = operation.name.toLowerCase();
    const first = firstOf.get(lower);
    if (!first) {
      firstOf.set(lower, operation);
      continue;
    }
    const group = groups.get(lower) ?? { name: first.name, operations: [first.key] };
    groups.set(lower, group);
    for (let suffix = 2; ; suffix++) {
      const candidate = `${toolNameOf(operation.name, MAX_NAME - String(suffix).length - 1)}_${suffix}`;
      if (!taken.has(candidate.toLowerCase())) {
        taken.add(candidate.toLowerCase());
        operation.name = candidate;
        break;
      }
    }
    group.operations.push(`${operation.key} → ${operation.name}`);
  }
  return [...groups.values()];
}

/** --include / --exclude: globs (picomatch) on the operationId, the tool name or `METHOD /path`; several includes are alternatives. */
export function operationFilter(include: string[], exclude: string[]): (operation: Operation) => boolean {
  const matcher = (globs: string[]) => (globs.length ? picomatch(globs, { dot: true }) : undefined);
  const included = matcher(include);
  const excluded = matcher(exclude);
  const subjects = (operation: Operation) => [operation.operationId, operation.name, operation.key].filter((s): s is string => s !== undefined);
  return (operation) => {
    const names = subjects(operation);
    if (included && !names.some((name) => included(name))) return false;
    return !(excluded && names.some((name) => excluded(name)));
  };
}
