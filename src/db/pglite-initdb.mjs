/**
 * Creates a new PGlite data dir and, given a migrations folder, migrates it,
 * then exits: run as a short-lived child process by pglite-template.ts.
 * PGlite's initdb grows WebAssembly memory that is never given back while
 * the process lives (~860 MB measured for a fresh data dir, against ~320 MB
 * for opening an existing one), so the server process lets a child pay it
 * and opens the finished data dir itself.
 * Plain JavaScript: it must run without the tsx loader.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const [dataDir, migrationsFolder, imageName] = process.argv.slice(2);
if (!dataDir) {
  process.stderr.write('usage: pglite-initdb.mjs <data dir> [<migrations folder> [<image file name>]]\n');
  process.exit(2);
}
const db = await PGlite.create(dataDir);
if (migrationsFolder) await migrate(drizzle({ client: db }), { migrationsFolder });
// The same database as one tar file, for in-memory instances (PGlite's loadDataDir): written once the dump is taken.
const image = imageName ? await db.dumpDataDir('none') : undefined;
await db.close();
if (image) writeFileSync(join(dataDir, imageName), Buffer.from(await image.arrayBuffer()));
