import type { RevisionDefinition } from '../db/revision-store.ts';
import type { Handler } from '../handlers/define.ts';
import { AppError, isAppError } from '../shared/errors.ts';
import { type CreateToolBody, draftFromBody, type ToolDraft } from './definition.ts';
import type { SchemaLimits } from './schema-limits.ts';

/** A revision's definition as a POST /tools body: what a rollback writes. */
export function revisionBody(definition: RevisionDefinition): CreateToolBody {
  return {
    name: definition.name,
    title: definition.title,
    description: definition.description,
    inputSchema: definition.inputSchema,
    outputSchema: definition.outputSchema,
    handler: definition.handler,
    config: definition.config ?? {},
    annotations: definition.annotations ?? {},
    enabled: definition.enabled,
  };
}

/**
 * The row a rollback to `version` writes, checked as a write of it would be
 * now (the handler must still be loaded, its config valid): a version that
 * cannot be restored as it is says why, naming the field.
 */
export function revisionDraft(
  definition: RevisionDefinition,
  version: number,
  handlers: ReadonlyMap<string, Handler>,
  limits: SchemaLimits | undefined,
): ToolDraft {
  try {
    return draftFromBody(revisionBody(definition), handlers, limits);
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new AppError(error.code, `Version ${version} of "${definition.name}" cannot be restored as it is: ${error.message}`, {
      ...(error.details ? { details: error.details } : {}),
      ...(error.extra ? { extra: error.extra } : {}),
    });
  }
}
