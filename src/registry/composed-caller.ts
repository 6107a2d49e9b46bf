import * as v from 'valibot';
import { AppError, isAppError } from '../shared/errors.ts';
import { issuesToDetails } from '../shared/validation.ts';
import type { ToolCaller } from './call.ts';
import { CallToolInput, isSearchEntry } from './search-tools.ts';

/**
 * The call path of the gateway's /mcp: every tool goes through the guarded
 * caller (scopes, rate limits, audit) by the name it has there, the
 * management tools included. The two search tools are answered here:
 * `search_tools` runs unguarded (it shows only what the caller sees, and
 * reads only memory), `call_tool` unwraps to a guarded call of the tool it
 * names — audited as that tool, with the caller's credential.
 */
export function composedCaller(guarded: ToolCaller, plain: ToolCaller): ToolCaller {
  return {
    async call(catalog, name, args, options) {
      const entry = catalog.resolve(name);
      if (!isSearchEntry(entry)) return guarded.call(catalog, name, args, options);
      if (entry.name === 'search_tools') return plain.call(catalog, name, args, options);
      const parsed = v.safeParse(CallToolInput, args ?? {});
      if (!parsed.success) {
        const details = issuesToDetails(parsed.issues, '/arguments');
        throw new AppError('bad_request', `Invalid arguments for "call_tool": ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details });
      }
      const target = parsed.output.name;
      if (isSearchEntry(catalog.resolve(target))) {
        throw new AppError('bad_request', `call_tool calls the tools search_tools finds, not "${target}"`, {
          details: [{ path: '/arguments/name', message: 'is a search tool' }],
        });
      }
      try {
        return await guarded.call(catalog, target, parsed.output.arguments, options);
      } catch (error) {
        // A name the model got wrong is something it can fix: a result it reads, not a protocol error.
        if (isAppError(error) && error.code === 'not_found') {
          throw new AppError('bad_request', `No tool named "${target}" here: find tools with search_tools and use a name it returns`, {
            details: [{ path: '/arguments/name', message: 'names no tool you can use (find one with search_tools)' }],
          });
        }
        throw error;
      }
    },
  };
}
