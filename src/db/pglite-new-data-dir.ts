import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFromTemplate, ensureTemplate, TEMPLATE_IMAGE, templateDir } from './pglite-template.ts';

/**
 * The template (made if missing) in node_modules/.cache/toolport, or
 * TOOLPORT_CACHE_DIR; the system temp dir when that cannot be written, e.g.
 * a read-only install.
 */
async function template(cacheDir: string | undefined): Promise<string> {
  try {
    return await ensureTemplate(templateDir(cacheDir || undefined));
  } catch {
    return ensureTemplate(templateDir(join(tmpdir(), 'toolport-cache')));
  }
}

/** Make a new embedded data dir from the template; resolves to where an interrupted earlier attempt was moved, if one was found. */
export async function newDataDir(dataDir: string, cacheDir = process.env.TOOLPORT_CACHE_DIR): Promise<{ movedAside?: string }> {
  return createFromTemplate(await template(cacheDir), dataDir);
}

/**
 * The template as a tar file for an in-memory database (`memory://`, the
 * tests): loading it takes a fraction of an initdb. Undefined when no
 * template can be made (the caller runs initdb in memory instead).
 */
export async function memoryImage(cacheDir = process.env.TOOLPORT_CACHE_DIR): Promise<Blob | undefined> {
  try {
    return new Blob([readFileSync(join(await template(cacheDir), TEMPLATE_IMAGE))]);
  } catch {
    return undefined;
  }
}
