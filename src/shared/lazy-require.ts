import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on first use, synchronously (its CommonJS build):
 * for libraries only some requests need (the YAML parsers of the registry
 * file, the text diff of the history routes), so that a start-up never
 * loads and compiles them. `lazyRequire<typeof import('yaml')>('yaml')`.
 */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}
