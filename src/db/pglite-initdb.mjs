/**
 * Creates a new PGlite data dir, then exits: run as a short-lived child
 * process by pglite-init.ts. PGlite's initdb grows WebAssembly memory that is
 * never given back while the process lives (~860 MB measured for a fresh
 * data dir, against ~320 MB for opening an existing one), so the server
 * process lets a child pay it and opens the finished data dir itself.
 * Plain JavaScript: it must run without the tsx loader.
 */
import { PGlite } from '@electric-sql/pglite';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pglite-initdb.mjs <data dir>\n');
  process.exit(2);
}
const db = await PGlite.create(dataDir);
await db.close();
