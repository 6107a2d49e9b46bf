import { type DataSourceDefinition, SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import type { SecretReader } from '../shared/secrets.ts';
import { referencedSecret } from './data-source-body.ts';

/**
 * A data source as REST and the CLI show it. `url` is the reference text
 * (`${secret:NAME}`), which is not secret; `secretSet` says whether this
 * process has TOOLPORT_SECRET_NAME. The resolved value is never read into it.
 */
export interface DataSourceView extends DataSourceDefinition {
  /** The secret the URL reference names; null for the built-in source. */
  secret: string | null;
  /** Whether that secret is set in this process; null for the built-in source (it needs none). */
  secretSet: boolean | null;
  builtIn: boolean;
  /** Whether this process can use the source now, and why not; absent where no pools are attached (the CLI). */
  available?: boolean;
  reason?: string;
}

export function dataSourceView(
  definition: DataSourceDefinition,
  secret: SecretReader,
  availability?: { available: boolean; reason?: string } | undefined,
): DataSourceView {
  const name = referencedSecret(definition.url) ?? null;
  return {
    id: definition.id,
    description: definition.description,
    kind: definition.kind,
    url: definition.url,
    secret: name,
    secretSet: name === null ? null : secret(name) !== undefined,
    builtIn: definition.id === SAMPLES_SOURCE_ID,
    access: definition.access,
    poolSize: definition.poolSize,
    statementTimeoutMs: definition.statementTimeoutMs,
    rowLimit: definition.rowLimit,
    enabled: definition.enabled,
    createdAt: definition.createdAt,
    updatedAt: definition.updatedAt,
    ...availability,
  };
}
