/**
 * Handler modules outside the tree (./handlers/*.ts) are TypeScript. From
 * source, a loader is active already (tsx, vitest); the compiled build
 * (dist/) registers tsx's loader once, on the first such module, so a
 * server that has none never pays for it.
 */
let registered: Promise<void> | undefined;

const FROM_SOURCE = import.meta.url.endsWith('.ts');

export function needsTypeScript(moduleUrl: string): boolean {
  return /\.[cm]?tsx?(\?|$)/.test(moduleUrl);
}

export function typeScriptLoader(moduleUrl: string): Promise<void> {
  if (FROM_SOURCE || !needsTypeScript(moduleUrl)) return Promise.resolve();
  registered ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return registered;
}
