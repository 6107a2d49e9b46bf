import { Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { requireObject } from '../../registry/definition.ts';
import type { ToolWrites } from '../../registry/tool-writes.ts';
import { AppError } from '../../shared/errors.ts';
import { JsonObject, parseOrThrow } from '../../shared/validation.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { writerOf } from '../writer.ts';

/**
 * POST /tools/import/openapi (the server's `write` scope, like every tool write): an inline
 * OpenAPI 3.0/3.1 or Swagger 2.0 document → one `http` tool per operation on
 * this listener's server; answers the import report. The document comes in
 * the body only: it is never fetched from a URL here, and its external
 * `$ref`s are not followed (the CLI reads files and URLs).
 */

const globs = v.union([v.string('must be a string or an array of strings'), v.array(v.string('must be a string'))], 'must be a string or an array of strings');

export const ImportBody = v.strictObject({
  document: v.optional(JsonObject),
  url: v.optional(v.string('must be a string')),
  baseUrl: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'))),
  include: v.optional(globs),
  exclude: v.optional(globs),
  secrets: v.optional(v.record(v.string(), v.string('must be a secret name'), 'must be an object of { "<scheme>": "<SECRET_NAME>" }')),
  prune: v.optional(v.boolean('must be true or false')),
  dryRun: v.optional(v.boolean('must be true or false')),
});

export interface ToolsImportDeps {
  catalog: ToolCatalog;
  writes: ToolWrites;
  auth: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function toolsImportRoutes({ catalog, writes, auth, limits }: ToolsImportDeps) {
  const app = new Hono<RestEnv>();

  app.post('/openapi', auth, async (c) => {
    const serverId = catalog.writableServerId;
    if (!serverId) throw new AppError('forbidden', `The tools of ${catalog.label} cannot be written here`);
    const body = parseOrThrow(ImportBody, requireObject(await readJson(c, limits), 'import request'), 'import request');
    if (body.url !== undefined) {
      throw new AppError(
        'bad_request',
        'Invalid import request: /url is not fetched over REST; send the document itself in /document (the CLI reads files and URLs)',
        {
          details: [{ path: '/url', message: 'not supported over REST: send /document' }],
        },
      );
    }
    if (!body.document) {
      throw new AppError('bad_request', 'Invalid import request: /document is required (the OpenAPI document as a JSON object)', {
        details: [{ path: '/document', message: 'is required' }],
      });
    }
    // Loaded on the first import: the OpenAPI parser is ~100 ms of every start otherwise.
    const { importOpenApi } = await import('../../registry/openapi/import.ts');
    const report = await importOpenApi(writes, {
      source: { document: body.document },
      serverId,
      ...writerOf(c),
      baseUrl: body.baseUrl,
      include: list(body.include),
      exclude: list(body.exclude),
      secrets: body.secrets,
      prune: body.prune,
      dryRun: body.dryRun,
    });
    return c.json(report);
  });

  return app;
}
