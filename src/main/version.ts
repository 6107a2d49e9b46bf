import { readFileSync } from 'node:fs';

/** The package version, as MCP server info and /info report it. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
