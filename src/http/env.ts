import type { HttpBindings } from '@hono/node-server';
import type { Principal } from '../auth/principal.ts';
import type { ToolCatalog } from '../registry/catalog.ts';

/** Typed context of a listener's REST app: Node's request/response, the request id, and who the caller is once authenticated. */
export interface RestEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    /** middleware/request-id.ts (app.ts, first of all): the client's X-Request-Id when well-formed, a UUID otherwise; echoed back. */
    requestId: string;
    /** The audit log's actor (`key:<id>`, `admin-token`, `oauth:…`, `local`): principal.actor. */
    actor: string;
    /** Who is calling and what it may do: set by the credential middleware (middleware/credential.ts). */
    principal: Principal;
    /** This server's catalog as the caller sees it (only the tools its scopes reach): set by the credential middleware. */
    catalog: ToolCatalog;
  };
}
