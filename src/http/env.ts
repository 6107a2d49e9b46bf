import type { AppDeps } from '../deps.ts';

/** Typed context variables of a listener's Hono app. */
export interface ListenerEnv {
  Variables: {
    deps: AppDeps;
    serverId: string;
  };
}
