import { createOriginPolicy, type OriginPolicyOptions, refusalMessage } from '../shared/origin-policy.ts';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * The MCP transport rules for a local server: reject browser requests from
 * foreign origins (a web page must not drive local tools) and requests whose
 * Host is not a name this listener is reached by (DNS rebinding). The policy
 * itself is shared with REST (shared/origin-policy.ts); /mcp answers a
 * refusal as a JSON-RPC error.
 */
export interface McpGuard {
  check(request: Request): Response | undefined;
}

export function createGuard(options: OriginPolicyOptions): McpGuard {
  const policy = createOriginPolicy(options);
  return {
    check(request) {
      const verdict = policy.check(request.headers.get('origin'), request.headers.get('host'));
      if (verdict.ok) return undefined;
      return jsonRpcError(403, SERVER_ERROR, refusalMessage(verdict, 'this MCP endpoint'));
    },
  };
}
