import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { RegistryFiles } from '../../registry/registry-files.ts';
import { planView } from '../../registry/registry-plan.ts';
import { planText } from '../../registry/registry-plan-text.ts';
import { AppError } from '../../shared/errors.ts';
import { type BodyLimits, readBodyText } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { queryFlag } from '../query-flag.ts';
import { writerOf } from '../writer.ts';

/**
 * The registry as code over REST (admin only: a registry file is every
 * server and tool): GET /registry/export (YAML or JSON, deterministic) and
 * POST /registry/apply (the file as YAML or JSON; `dryRun`, `prune`,
 * `server`, and `fingerprint` — a dry run's, refused with 412 once the
 * registry changed). Same plan, same transaction, same messages as
 * `toolport export` / `toolport apply`.
 */
export interface RegistryFileRoutesDeps {
  files: RegistryFiles;
  auth: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
}

/** A registry file may be larger than a tool call's body: up to this (or TOOLPORT_MAX_BODY_BYTES, if larger). */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

function serversOf(c: Context<RestEnv>): string[] | undefined {
  const servers = c.req.queries('server');
  return servers?.length ? servers : undefined;
}

/** The media type decides the parser; anything but JSON or YAML is 415 (a form post from a web page is never a registry file). */
function formatOfRequest(c: Context<RestEnv>): 'json' | 'yaml' {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (YAML_TYPES.includes(type)) return 'yaml';
  c.header('connection', 'close');
  throw new AppError(
    'unsupported_media_type',
    `Send the registry file as application/json or application/yaml, not ${type ? `"${type.slice(0, 60)}"` : 'without a Content-Type'}`,
  );
}

export function registryFileRoutes({ files, auth, limits }: RegistryFileRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.use('*', auth);

  app.get('/export', async (c) => {
    const format = c.req.query('format') ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') {
      throw new AppError('bad_request', `format must be yaml or json, got ${JSON.stringify(format.slice(0, 20))}`, {
        details: [{ path: '/query/format', message: 'must be yaml or json' }],
      });
    }
    const text = await files.export({ servers: serversOf(c), format });
    return c.body(text, 200, { 'content-type': format === 'json' ? 'application/json' : 'application/yaml; charset=utf-8' });
  });

  app.post('/apply', async (c) => {
    const format = formatOfRequest(c);
    const { text } = await readBodyText(c, { maxBytes: Math.max(limits.maxBytes, MAX_FILE_BYTES) });
    if (text.trim() === '') throw new AppError('bad_request', 'The request body is empty: send a registry file');
    // The CLI names its file (`r.yaml`), so messages point into it; anything else is described.
    const named = c.req.query('fileName');
    const fileName = named && /^[A-Za-z0-9._-]{1,100}$/.test(named) ? named : `request body (${format})`;
    const dryRun = queryFlag(c, 'dryRun');
    const fingerprint = c.req.query('fingerprint');
    const result = await files.apply(writerOf(c), text, {
      fileName,
      format,
      dryRun,
      prune: queryFlag(c, 'prune'),
      servers: serversOf(c),
      expectFingerprint: fingerprint === undefined || fingerprint === '' ? undefined : fingerprint,
    });
    return c.json({
      applied: result.applied,
      dryRun,
      ...planView(result.plan),
      text: planText(result.plan, named ? fileName : 'the file', dryRun ? 'plan' : 'applied'),
    });
  });

  return app;
}
