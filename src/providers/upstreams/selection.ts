import picomatch from 'picomatch';
import type { UpstreamDefinition } from './types.ts';

/** Whether an upstream's tool (by its own name) is kept: it matches an `include` glob (or there are none) and no `exclude` glob. */
export function toolSelection(definition: Pick<UpstreamDefinition, 'include' | 'exclude'>): (name: string) => boolean {
  const included = definition.include.length ? picomatch(definition.include, { dot: true }) : undefined;
  const excluded = definition.exclude.length ? picomatch(definition.exclude, { dot: true }) : undefined;
  return (name) => (!included || included(name)) && !excluded?.(name);
}
