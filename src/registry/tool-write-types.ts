import type { DatabaseHealth } from '../db/health.ts';
import type { RegistryStore } from '../db/registry-store.ts';
import type { ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import type { AuditRecorder, WriteActor } from '../observability/audit-write.ts';
import type { Registry } from './registry.ts';
import type { SchemaLimits } from './schema-limits.ts';
import type { ToolEntry } from './snapshot.ts';

/** What the tool write service (tool-writes.ts) is given and answers. */
export interface WriteTarget extends WriteActor {
  /** Who writes: recorded in the change log and the audit log (`admin-token`, `key:<id>`, `local`, `seed` …). */
  actor: string;
  serverId: string;
}

/** A batch's writer, and what the import was (kept in each entry's details.import). */
export interface BatchActor extends WriteActor {
  import?: Record<string, unknown> | undefined;
}

export interface ToolWritesDeps {
  store: RegistryStore;
  registry: Registry;
  handlers: ReadonlyMap<string, Handler>;
  /** Writes fail fast (503) while the database is known to be unreachable, instead of each waiting on a connect timeout. */
  health: DatabaseHealth | undefined;
  /** Bounds on the schemas written (README "Limits"); the defaults when omitted. */
  limits?: SchemaLimits | undefined;
  /** Where write entries go (the process's AuditLog); none: writes are not audited. */
  audit?: AuditRecorder | undefined;
  /** TOOLPORT_STRICT_TOOL_NAMES=1: a new tool's name on the gateway /mcp must be ≤ 64 of [A-Za-z0-9_-]. */
  strictToolNames?: boolean | undefined;
}

export interface WrittenTool {
  row: ToolRow;
  /** The entry as the registry holds it; undefined when this process does not serve the server. */
  entry: ToolEntry | undefined;
}

export interface RolledBack extends WrittenTool {
  /** The tool had been deleted: the rollback created it again. */
  restored: boolean;
  /** The fields the rollback changed (none: the tool already was that version, and no version was written). */
  changed: string[];
}
