import { AppError, isAppError } from '../../shared/errors.ts';
import { type CreateToolBody, parseCreateBody } from '../definition.ts';
import type { ToolWrites } from '../tool-writes.ts';
import { type Conversion, convertOperation } from './convert.ts';
import { type DocumentSource, type LoadedDocument, loadDocument } from './load.ts';
import { listOperations, operationFilter } from './operations.ts';
import { type Plan, planImport } from './plan.ts';
import { checkSecrets, type SecretMap, securitySchemes } from './security.ts';
import { baseUrlFor } from './servers.ts';

/**
 * `toolport import-openapi` and POST /tools/import/openapi: read the
 * document → one checked `http` tool definition per selected operation →
 * compare with the server's tools → write created / changed (and, with
 * prune, delete removed-upstream) in one transaction of the write service,
 * or nothing with dryRun → the report.
 */

export interface ImportRequest {
  source: DocumentSource;
  serverId: string;
  actor: string;
  /** The caller's readable name and the request id, for the audit entries. */
  actorName?: string | undefined;
  requestId?: string | undefined;
  baseUrl?: string | undefined;
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  secrets?: SecretMap | undefined;
  prune?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export interface ImportReport {
  server: string;
  document: { title: string; version: string; specification: string };
  dryRun: boolean;
  prune: boolean;
  /** Operations in the document, and those the include/exclude globs selected. */
  operations: { total: number; selected: number };
  created: { name: string; operation: string }[];
  changed: { name: string; operation: string; fields: string[] }[];
  unchanged: { name: string; operation: string }[];
  /** Tools of this document whose operation is gone; `deleted` with prune (and not dryRun). */
  removedUpstream: { name: string; operation: string; deleted: boolean }[];
  /** Operations not imported, and why (not sendable, a name taken by another tool, a definition refused). */
  skipped: { name: string; operation: string; reason: string }[];
  warnings: string[];
  elapsedMs: number;
}

function describeVersion(doc: LoadedDocument): string {
  return doc.version === '2.0' ? 'Swagger 2.0' : `OpenAPI ${String(doc.api.openapi)}`;
}

/** Each converted operation checked as POST /tools would check it; a refused one is skipped with the reason. */
function checkConversions(conversions: Conversion[], writes: ToolWrites, report: ImportReport): { body: CreateToolBody; operation: string }[] {
  const tools: { body: CreateToolBody; operation: string }[] = [];
  for (const conversion of conversions) {
    const { operation } = conversion;
    if ('skipped' in conversion) {
      report.skipped.push({ name: operation.name, operation: operation.key, reason: conversion.skipped });
      continue;
    }
    try {
      const body = parseCreateBody(conversion.body);
      writes.check(body);
      tools.push({ body, operation: operation.key });
      for (const warning of conversion.warnings) report.warnings.push(`${operation.name} (${operation.key}): ${warning}`);
    } catch (error) {
      if (!isAppError(error)) throw error;
      report.skipped.push({ name: operation.name, operation: operation.key, reason: error.message });
    }
  }
  return tools;
}

async function apply(plan: Plan, request: ImportRequest, writes: ToolWrites): Promise<void> {
  const target = { actor: request.actor, actorName: request.actorName, requestId: request.requestId, serverId: request.serverId };
  for (const tool of plan.created) await writes.create({ ...target, body: tool.body });
  for (const tool of plan.changed) await writes.replace({ ...target, name: tool.name, body: tool.body, ifMatch: tool.version });
  if (request.prune) for (const tool of plan.removed) await writes.delete({ ...target, name: tool.name, ifMatch: tool.version });
}

export async function importOpenApi(writes: ToolWrites, request: ImportRequest): Promise<ImportReport> {
  const started = performance.now();
  const doc = await loadDocument(request.source);
  const schemes = securitySchemes(doc.api);
  const secrets = request.secrets ?? {};
  checkSecrets(secrets, schemes);
  baseUrlFor(doc.api, doc.version, {}, {}, request.baseUrl, doc.location); // no base URL at all: one clear error, not one per operation

  const { operations, collisions } = listOperations(doc.api);
  const selected = operations.filter(operationFilter(request.include ?? [], request.exclude ?? []));
  const report: ImportReport = {
    server: request.serverId,
    document: { title: doc.title, version: String((doc.api.info as Record<string, unknown>)?.version ?? ''), specification: describeVersion(doc) },
    dryRun: request.dryRun === true,
    prune: request.prune === true,
    operations: { total: operations.length, selected: selected.length },
    created: [],
    changed: [],
    unchanged: [],
    removedUpstream: [],
    skipped: [],
    warnings: collisions.map((c) => `tool names collided, suffixed in document order: ${c.name} ← ${c.operations.join(', ')}`),
    elapsedMs: 0,
  };
  const conversions = selected.map((operation) => convertOperation(doc, operation, { baseUrl: request.baseUrl, secrets, schemes }));
  const tools = checkConversions(conversions, writes, report);
  const documentNames = new Set(operations.map((operation) => operation.name));

  const who = {
    actor: request.actor,
    actorName: request.actorName,
    requestId: request.requestId,
    import: { kind: 'openapi', document: (doc.api as { info?: { title?: unknown } }).info?.title ?? null, prune: request.prune === true },
  };
  const plan = await writes.batch(who, async (batch, store) => {
    if (!(await store.getServer(request.serverId))) {
      const known = (await store.listServers()).map((row) => row.id).join(', ') || '(none)';
      throw new AppError('not_found', `No server "${request.serverId}" in the servers table (known: ${known})`);
    }
    const planned = planImport(doc.title, tools, documentNames, await store.listTools(request.serverId));
    if (!request.dryRun) await apply(planned, request, batch);
    return planned;
  });

  report.created = plan.created.map(({ name, operation }) => ({ name, operation }));
  report.changed = plan.changed.map(({ name, operation, fields }) => ({ name, operation, fields: fields ?? [] }));
  report.unchanged = plan.unchanged;
  report.removedUpstream = plan.removed.map(({ name, operation }) => ({ name, operation, deleted: report.prune && !report.dryRun }));
  for (const conflict of plan.conflicts) report.skipped.push(conflict);
  report.elapsedMs = Math.round(performance.now() - started);
  return report;
}
