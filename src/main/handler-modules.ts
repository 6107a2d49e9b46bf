import { type FSWatcher, statSync, watch } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Handler } from '../handlers/define.ts';
import type { HandlerFailure, KnownHandlers } from '../http/routes/handlers.ts';
import type { Registry } from '../registry/registry.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { describeError, importHandlers, scanModules } from './handler-module-file.ts';

/**
 * Handler modules outside the source tree (TOOLPORT_HANDLERS_DIR, README
 * "Your own handler modules"): loaded at start, re-loaded when a file is
 * added, changed or removed (fs.watch, debounced). What they export joins the
 * built-in handlers; a module that fails to load is logged and reported, and
 * never stops the process; a name that a built-in or another module already
 * has is refused for the newcomer. Whoever follows (the registry) hears of
 * every change through `onChange`.
 */

export const RELOAD_DEBOUNCE_MS = 100;

type FileState =
  | { key: string; handlers: Handler[]; error?: undefined }
  /** `before`: the names the file provided when it last loaded, which now fail with its error. */
  | { key: string; handlers?: undefined; error: string; before: string[] };

export interface HandlerModulesOptions {
  dir: Config['handlersDir'];
  builtIns: ReadonlyMap<string, Handler>;
  logger: Logger;
  debounceMs?: number;
}

/** A module file as people know it: relative to the working directory when it is below it. */
function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path && !path.startsWith('..') && !isAbsolute(path) ? path : file;
}

export class HandlerModules {
  private readonly files = new Map<string, FileState>();
  /** Handler name → the module file it came from (a name stays with the module that had it first). */
  private owners = new Map<string, string>();
  private merged: ReadonlyMap<string, Handler>;
  private refused: HandlerFailure[] = [];
  private version = 0;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly options: HandlerModulesOptions,
    /** Whether there is a directory to load from (the default ./handlers is optional). */
    readonly active: boolean,
  ) {
    this.merged = options.builtIns;
  }

  /** Check the directory and load what is in it. An explicit TOOLPORT_HANDLERS_DIR that is missing is a start-up error. */
  static async open(options: HandlerModulesOptions): Promise<HandlerModules> {
    const { path, explicit } = options.dir;
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {}
    if (!isDirectory && explicit) throw new Error(`TOOLPORT_HANDLERS_DIR: ${path} is not a directory`);
    const modules = new HandlerModules(options, isDirectory);
    if (isDirectory) await modules.reload();
    return modules;
  }

  /** Built-ins and module handlers, by name (a new map after every change). */
  get handlers(): ReadonlyMap<string, Handler> {
    return this.merged;
  }

  /** For GET /handlers. */
  known(): KnownHandlers {
    const failed: HandlerFailure[] = [];
    for (const [file, state] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) if (state.error) failed.push({ file: shown(file), error: state.error });
    return {
      handlers: [...this.merged.values()].map((handler) => {
        const file = this.owners.get(handler.name);
        return { handler, source: file ? shown(file) : 'built-in' };
      }),
      failed: [...failed, ...this.refused],
    };
  }

  /** Why no handler `name` is loaded, when a handler module is to blame (the reason its tools show). */
  missingReason = (name: string): string | undefined => {
    const failures: string[] = [];
    for (const [file, state] of this.files) {
      if (!state.error) continue;
      if (state.before.includes(name)) return `handler module ${shown(file)} failed to load: ${state.error}`;
      failures.push(`${shown(file)} (${state.error})`);
    }
    return failures.length ? `no handler "${name}" is loaded; handler modules that failed to load: ${failures.join('; ')}` : undefined;
  };

  /** Follow the directory: every change that alters what is loaded ends in `onChange`. */
  watch(onChange: () => void): void {
    if (!this.active || this.watcher || this.closed) return;
    const debounceMs = this.options.debounceMs ?? RELOAD_DEBOUNCE_MS;
    this.watcher = watch(this.options.dir.path, { persistent: false }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reloading = this.reloading.then(async () => {
          if (this.closed) return;
          try {
            if (await this.reload()) onChange();
          } catch (error) {
            this.options.logger.error('reloading handler modules failed', { dir: this.options.dir.path, error: describeError(error) });
          }
        });
      }, debounceMs);
    });
    this.watcher.on('error', (error) => this.options.logger.warn('watching handler modules failed', { dir: this.options.dir.path, error: error.message }));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Re-scan the directory and (re-)import what changed; true when anything did. */
  async reload(): Promise<boolean> {
    const { logger, dir } = this.options;
    let present: Map<string, string>;
    try {
      present = await scanModules(dir.path);
    } catch (error) {
      logger.warn('cannot read the handler modules directory', { dir: dir.path, error: describeError(error) });
      present = new Map();
    }
    let changed = false;
    for (const file of [...this.files.keys()]) {
      if (present.has(file)) continue;
      this.files.delete(file);
      changed = true;
      logger.info('handler module removed', { file: shown(file) });
    }
    for (const [file, key] of [...present].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const before = this.files.get(file);
      if (before?.key === key) continue;
      changed = true;
      this.files.set(file, await this.load(file, key, before));
    }
    if (changed) this.merge();
    return changed;
  }

  private async load(file: string, key: string, before: FileState | undefined): Promise<FileState> {
    try {
      const handlers = await importHandlers(file, ++this.version);
      this.options.logger.info('handler module loaded', { file: shown(file), handlers: handlers.map((handler) => handler.name) });
      return { key, handlers };
    } catch (error) {
      const reason = describeError(error);
      this.options.logger.error('handler module failed to load', { file: shown(file), error: reason });
      const names = before === undefined ? [] : before.error === undefined ? before.handlers.map((handler) => handler.name) : before.before;
      return { key, error: reason, before: names };
    }
  }

  /** Built-ins first, then each module's handlers; a name already taken is refused (and logged) for the module that came later. */
  private merge(): void {
    const { builtIns, logger } = this.options;
    const merged = new Map(builtIns);
    const owners = new Map<string, string>();
    const refused: HandlerFailure[] = [];
    const claims: [string, Handler][] = [];
    for (const [file, state] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) for (const handler of state.handlers ?? []) claims.push([file, handler]);
    // Whoever had a name keeps it, whatever the file order (stable sort: the rest stay in file order).
    claims.sort(([fileA, a], [fileB, b]) => Number(this.owners.get(a.name) !== fileA) - Number(this.owners.get(b.name) !== fileB));
    for (const [file, handler] of claims) {
      const { name } = handler;
      let why: string | undefined;
      if (builtIns.has(name)) why = `handler "${name}" refused: a built-in handler has that name`;
      else if (owners.get(name) === file) why = `handler "${name}" refused: the module exports two handlers of that name`;
      else if (owners.has(name)) why = `handler "${name}" refused: ${shown(owners.get(name)!)} already provides it`;
      if (why) {
        refused.push({ file: shown(file), handler: name, error: why });
        const known = this.refused.some((old) => old.file === shown(file) && old.error === why);
        if (!known) logger.warn('handler refused', { file: shown(file), handler: name, reason: why });
        continue;
      }
      merged.set(name, handler);
      owners.set(name, file);
    }
    this.merged = merged;
    this.owners = owners;
    this.refused = refused;
  }
}

/** Tools follow the modules: the registry gets the current handlers now and after every reload. */
export function followHandlerModules(modules: HandlerModules, registry: Pick<Registry, 'replaceHandlers'>): void {
  const update = () => registry.replaceHandlers(modules.handlers, modules.missingReason);
  update();
  modules.watch(update);
}
