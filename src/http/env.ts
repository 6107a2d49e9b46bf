import type { HttpBindings } from '@hono/node-server';
import type { Principal } from '../auth/principal.ts';

/** Typed context of a listener's REST app: Node's request/response, and who the caller is once authenticated. */
export interface RestEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    /** Recorded with every write: `admin-token`, or `local` for an unauthenticated loopback caller. */
    actor: string;
    /** Who is calling and what it may do: set by the credential middleware (middleware/credential.ts). */
    principal: Principal;
  };
}
