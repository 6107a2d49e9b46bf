import type { RegistryFileFormat } from '../../registry/registry-file.ts';
import type { planView } from '../../registry/registry-plan.ts';
import { AppError, type ErrorCode, type FieldIssue } from '../../shared/errors.ts';

/**
 * `toolport export` and `apply` against the running Toolport that holds the
 * embedded data dir: its /registry routes on loopback (the admin token from
 * TOOLPORT_ADMIN_TOKEN when set; under local-open none is needed). Its
 * answers are the same plan and the same errors as on a database opened here.
 */
export interface RemoteRegistry {
  url: string;
  token: string | undefined;
  pid: number;
}

export interface RemoteApplyResult {
  applied: boolean;
  view: ReturnType<typeof planView>;
  text: string;
  changes: number;
}

async function send(remote: RemoteRegistry, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (remote.token) headers.set('authorization', `Bearer ${remote.token}`);
  try {
    return await fetch(`${remote.url}${path}`, { ...init, headers });
  } catch (error) {
    throw new Error(`The running Toolport (pid ${remote.pid}) does not answer at ${remote.url}: ${(error as Error).message}`);
  }
}

/** A REST error answer as the AppError it was (the CLI prints its message and field issues). */
async function refusal(response: Response): Promise<AppError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string; details?: FieldIssue[] } } | undefined;
  const error = body?.error;
  const message = error?.message ?? `HTTP ${response.status}`;
  return new AppError((error?.code as ErrorCode) ?? 'internal', message, error?.details ? { details: error.details } : {});
}

export async function remoteExport(remote: RemoteRegistry, options: { servers?: readonly string[] | undefined; format: RegistryFileFormat }): Promise<string> {
  const query = new URLSearchParams({ format: options.format });
  for (const server of options.servers ?? []) query.append('server', server);
  const response = await send(remote, `/registry/export?${query}`);
  if (!response.ok) throw await refusal(response);
  return response.text();
}

export async function remoteApply(
  remote: RemoteRegistry,
  text: string,
  options: {
    fileName: string;
    format: RegistryFileFormat;
    dryRun: boolean;
    prune: boolean;
    servers?: readonly string[] | undefined;
    expectFingerprint?: string | undefined;
  },
): Promise<RemoteApplyResult> {
  const query = new URLSearchParams({ dryRun: String(options.dryRun), prune: String(options.prune), fileName: options.fileName });
  for (const server of options.servers ?? []) query.append('server', server);
  if (options.expectFingerprint) query.set('fingerprint', options.expectFingerprint);
  const response = await send(remote, `/registry/apply?${query}`, {
    method: 'POST',
    headers: { 'content-type': options.format === 'json' ? 'application/json' : 'application/yaml' },
    body: text,
  });
  if (!response.ok) throw await refusal(response);
  const body = (await response.json()) as ReturnType<typeof planView> & { applied: boolean; text: string };
  const { applied, text: planned, ...view } = body;
  return { applied, view: view as ReturnType<typeof planView>, text: planned, changes: view.changes.length };
}
