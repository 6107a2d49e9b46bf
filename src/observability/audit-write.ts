import { isAppError } from '../shared/errors.ts';
import type { AuditEntry } from './audit-entry.ts';

/**
 * What the write services (tools, data sources, API keys) share to audit
 * their writes: who writes (the principal's actor and name, the request id),
 * and how a refused write is described. A write is recorded after it
 * committed (outcome `ok`), and a refused one too (outcome = the error code:
 * conflict, precondition_failed, bad_request, not_found, unavailable …), so
 * "who tried to change this" is answerable. Details stay small and never
 * carry secrets: changed fields' names, stored `${secret:NAME}` references,
 * a key's name, prefix and scopes.
 */

/** Who writes: `actor` is Principal.actor (`key:<id>`, `admin-token`, `local`, `seed`, `cli` …). */
export interface WriteActor {
  actor: string;
  /** Principal.name: the key's name, the token's subject. */
  actorName?: string | undefined;
  /** The REST or MCP request's id. */
  requestId?: string | undefined;
}

/** The services accept the plain actor text (the CLI, seeding) or the whole WriteActor (REST, MCP). */
export type ActorInput = string | WriteActor;

export function writeActor(input: ActorInput): WriteActor {
  return typeof input === 'string' ? { actor: input } : input;
}

/** The part of AuditLog the write services use (a test may pass its own list). */
export interface AuditRecorder {
  record(entry: AuditEntry): void;
}

/** The actor columns of an entry. */
export function actorColumns(who: WriteActor): Pick<AuditEntry, 'actor' | 'actorName' | 'requestId'> {
  return { actor: who.actor, actorName: who.actorName ?? null, requestId: who.requestId ?? null };
}

/** Error messages kept in details are bounded. */
const MAX_MESSAGE = 300;

/**
 * A refused write as an entry's outcome and details. A bad_request keeps
 * only the paths of the fields refused, not the messages: a message about a
 * value (a literal URL where a reference belongs) must not copy that value
 * into the log. The other refusals (conflict, precondition_failed,
 * not_found, unavailable) name tools, versions and sources only.
 */
export function refusalOf(error: unknown): { outcome: string; details: Record<string, unknown> } {
  if (!isAppError(error)) return { outcome: 'internal', details: {} };
  if (error.code === 'bad_request') {
    const fields = (error.details ?? []).map((issue) => issue.path).filter((path) => typeof path === 'string');
    return { outcome: error.code, details: fields.length ? { fields } : {} };
  }
  const message = error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE)}…` : error.message;
  return { outcome: error.code, details: { error: message } };
}

/**
 * Run one write and record it: the entry `work` reports when it succeeds,
 * or — when it is refused — the entry `refused` makes of the error's
 * outcome and details (undefined: record nothing, e.g. inside a batch that
 * records its own failure). The one shape of every audited write service.
 */
export async function auditedWrite<T>(
  recorder: AuditRecorder | undefined,
  refused: (refusal: { outcome: string; details: Record<string, unknown> }) => AuditEntry | undefined,
  work: () => Promise<{ result: T; entry: AuditEntry }>,
): Promise<T> {
  let done: { result: T; entry: AuditEntry };
  try {
    done = await work();
  } catch (error) {
    const entry = refused(refusalOf(error));
    if (entry) recorder?.record(entry);
    throw error;
  }
  recorder?.record(done.entry);
  return done.result;
}
