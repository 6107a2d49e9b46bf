import { readFileSync } from 'node:fs';
import { fromProjectRoot } from '../shared/project-root.ts';

/** The package version, as MCP server info and /info report it. */
export const VERSION: string = JSON.parse(readFileSync(fromProjectRoot('package.json'), 'utf8')).version;
