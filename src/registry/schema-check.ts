import { isAppError } from '../shared/errors.ts';
import { checkSchemas } from './row-validators.ts';
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits } from './schema-limits.ts';
import type { ServerSnapshot, ToolEntry } from './snapshot.ts';

/** The reason a tool is unusable because a schema of it does not compile: `input_schema: …` or `output_schema: …`. */
export function schemaReason(error: unknown): string {
  if (!isAppError(error)) return `input_schema: ${String(error)}`;
  const which = /^Invalid (input_schema|output_schema): /.exec(error.message);
  return which ? `${which[1]}: ${error.message.slice(which[0].length)}` : `input_schema: ${error.message}`;
}

/** Compile for this long, then yield to requests. */
const SLICE_MS = 8;

/**
 * Compiles, in the background and in short slices, the schemas (input and
 * output) of every available tool not yet compiled, so a hand-written row
 * whose schema does not compile (a misspelled keyword, a dangling $ref, a
 * limit crossed, an endless $ref cycle, a pattern the linear-time engine
 * cannot run) is found and made unavailable soon after it is loaded —
 * without making start-up wait for every schema of a large registry. The
 * compiled validators are not kept on the entry (memory stays bounded by
 * ValidatorCache); a call compiles or reuses them.
 */
export class SchemaChecker {
  private readonly pending = new Set<string>();
  private running = false;
  private paused = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly snapshotOf: (serverId: string) => ServerSnapshot | undefined,
    private readonly report: (serverId: string, failures: { entry: ToolEntry; reason: string }[]) => void,
    private readonly limitsOf: () => SchemaLimits = () => DEFAULT_SCHEMA_LIMITS,
  ) {}

  schedule(serverId: string): void {
    this.pending.add(serverId);
    if (this.running || this.paused) return;
    this.running = true;
    setImmediate(() => void this.run());
  }

  /** Hold the checks (start-up: the listeners first, then the schemas); what is scheduled meanwhile runs on resume. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const pending = [...this.pending];
    this.pending.clear();
    for (const serverId of pending) this.schedule(serverId);
  }

  idle(): Promise<void> {
    if (!this.running && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      const serverId = this.pending.values().next().value!;
      this.pending.delete(serverId);
      await this.check(serverId);
    }
    this.running = false;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  private async check(serverId: string): Promise<void> {
    const snapshot = this.snapshotOf(serverId);
    if (!snapshot) return;
    const failures: { entry: ToolEntry; reason: string }[] = [];
    let sliceStart = performance.now();
    for (const entry of snapshot.available) {
      if (entry.schemaChecked) continue;
      try {
        checkSchemas(entry.row, this.limitsOf());
      } catch (error) {
        failures.push({ entry, reason: schemaReason(error) });
      }
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
        if (this.snapshotOf(serverId) !== snapshot && failures.length === 0) break; // superseded: its own pass follows
      }
    }
    if (failures.length) this.report(serverId, failures);
  }
}
