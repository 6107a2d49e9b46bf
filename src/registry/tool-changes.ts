import { draftOfRow } from '../db/registry-store.ts';
import type { ToolRow } from '../db/schema.ts';
import { AppError } from '../shared/errors.ts';
import { sameJson } from '../shared/json-equal.ts';
import type { PatchToolBody, ToolDraft } from './definition.ts';

/** What the tool write service says about a write: its refusals, the fields it changed, its audit action. */

export function notFound(serverId: string, name: string): AppError {
  return new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
}

export function stale(name: string, current: number, expected: number): AppError {
  return new AppError(
    'precondition_failed',
    `Tool "${name}" is at version ${current}, not ${expected}: it changed since you read it. Fetch it again and retry.`,
    { extra: { currentVersion: current } },
  );
}

/** The draft fields whose values differ: what a patch or replace changed. */
export function changedFields(before: ToolDraft, after: ToolDraft): string[] {
  return (Object.keys(after) as (keyof ToolDraft)[]).filter((key) => !sameJson(before[key], after[key])).sort();
}

/** What writing `draft` (and `rateLimit`, unless undefined: not written) over the stored row changes. */
export function rowChanges(current: ToolRow, draft: ToolDraft, rateLimit: string | null | undefined): string[] {
  const changed = changedFields(draftOfRow(current), draft);
  return rateLimit !== undefined && (current.rateLimit ?? null) !== rateLimit ? [...changed, 'rateLimit'].sort() : changed;
}

/** A patch that only sets `enabled` (or changed nothing but it) is an enable/disable. */
export function patchAction(patch: PatchToolBody, changed: readonly string[] | undefined): string {
  const keys = changed && changed.length > 0 ? changed : Object.keys(patch).filter((key) => (patch as Record<string, unknown>)[key] !== undefined);
  if (keys.length === 1 && keys[0] === 'enabled') return patch.enabled === false ? 'disable' : 'enable';
  return 'update';
}

export function nameOf(body: unknown): string | null {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : null;
}
