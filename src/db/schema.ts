/**
 * The tables (defined once, in drizzle/schema.ts) as the layers above db/
 * reach them: only through this folder, so the dependency rule can tell who
 * touches the database.
 */
export * from '../../drizzle/schema.ts';
