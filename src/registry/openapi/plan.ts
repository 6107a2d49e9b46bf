import type { ToolRow } from '../../db/schema.ts';
import { sameJson } from '../../shared/json-equal.ts';
import type { CreateToolBody } from '../definition.ts';
import type { Json } from './load.ts';

/**
 * What an import would do (pure): the checked tool definitions of a
 * document against the server's current rows. A name that is free is
 * created; a tool of this document (`config.origin.openapi` is its title)
 * is unchanged or changed (the fields that differ are listed); a tool of the
 * same name that did not come from this document is left alone and
 * reported; tools of this document whose name no operation has any more are
 * removed upstream (deleted only with prune).
 */

/** Config fields an import never sets: a user's values survive a re-import. */
export const KEPT_CONFIG_FIELDS = ['timeoutMs', 'retry', 'maxResponseBytes', 'select'] as const;

const COMPARED = ['title', 'description', 'inputSchema', 'outputSchema', 'handler', 'config', 'annotations'] as const;

export interface PlannedTool {
  name: string;
  operation: string;
}

export interface PlannedWrite extends PlannedTool {
  body: CreateToolBody;
  /** For changes: the row's version (If-Match) and the fields that differ. */
  version?: number;
  fields?: string[];
}

export interface Plan {
  created: PlannedWrite[];
  changed: PlannedWrite[];
  unchanged: PlannedTool[];
  removed: (PlannedTool & { version: number })[];
  conflicts: { name: string; operation: string; reason: string }[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function originOf(row: ToolRow): { openapi: string; operation: string } | undefined {
  const config = row.handlerConfig;
  const origin = isObject(config) ? config.origin : undefined;
  if (!isObject(origin) || typeof origin.openapi !== 'string') return undefined;
  return { openapi: origin.openapi, operation: typeof origin.operation === 'string' ? origin.operation : '' };
}

/** The row's definition in the body's terms, to compare field by field. */
function current(row: ToolRow): Record<(typeof COMPARED)[number], unknown> {
  return {
    title: row.title,
    description: row.description,
    inputSchema: row.inputSchema,
    outputSchema: row.outputSchema ?? null,
    handler: row.handler,
    config: row.handlerConfig,
    annotations: row.annotations,
  };
}

/** The imported body with what the user set on the existing tool kept (enabled, config fields the import does not set). */
function merged(body: CreateToolBody, row: ToolRow): CreateToolBody {
  const existing = isObject(row.handlerConfig) ? row.handlerConfig : {};
  const config: Json = { ...body.config };
  for (const field of KEPT_CONFIG_FIELDS) if (existing[field] !== undefined) config[field] = existing[field];
  return { ...body, config, enabled: row.enabled };
}

export function planImport(
  title: string,
  tools: { body: CreateToolBody; operation: string }[],
  documentNames: ReadonlySet<string>,
  rows: readonly ToolRow[],
): Plan {
  const plan: Plan = { created: [], changed: [], unchanged: [], removed: [], conflicts: [] };
  const byName = new Map(rows.map((row) => [row.name, row]));
  for (const { body, operation } of tools) {
    const row = byName.get(body.name);
    if (!row) {
      plan.created.push({ name: body.name, operation, body });
      continue;
    }
    const origin = originOf(row);
    if (origin?.openapi !== title) {
      const from = origin ? `was imported from "${origin.openapi}"` : 'was not imported from this document';
      plan.conflicts.push({ name: body.name, operation, reason: `a tool named "${body.name}" already exists and ${from}: left as it is` });
      continue;
    }
    const next = merged(body, row);
    const before = current(row);
    const fields = COMPARED.filter((field) => !sameJson(before[field], next[field] ?? null));
    if (fields.length === 0) plan.unchanged.push({ name: body.name, operation });
    else plan.changed.push({ name: body.name, operation, body: next, version: row.version, fields: [...fields] });
  }
  for (const row of rows) {
    const origin = originOf(row);
    if (origin?.openapi === title && !documentNames.has(row.name)) plan.removed.push({ name: row.name, operation: origin.operation, version: row.version });
  }
  return plan;
}
