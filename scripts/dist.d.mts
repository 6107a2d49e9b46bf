/** Types of scripts/dist.mjs (the production build), for the TypeScript that calls it (the bench, the tests). */
export declare const ROOT: string;
export declare const STAMP: string;
export declare function staleness(root?: string, outDir?: string): string | undefined;
export declare function build(options?: { root?: string; outDir?: string; quiet?: boolean }): number;
export declare function ensureBuilt(options?: { root?: string; quiet?: boolean }): boolean;
