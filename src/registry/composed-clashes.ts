import type { ServerRow } from '../db/schema.ts';
import type { ServerStore } from '../db/server-store.ts';
import { AppError } from '../shared/errors.ts';
import { composedName, composedNameProblem, prefixOf, RESERVED_TOOL_NAMES } from './composed-names.ts';

/**
 * The write-time half of "never two tools of one name on the gateway /mcp":
 * a write that would make two composed names equal (or one equal a
 * management or search tool's name), or, with TOOLPORT_STRICT_TOOL_NAMES=1,
 * a composed name over 64 characters or with a "." — over 128 always — is
 * refused, naming what clashes. Read inside the write's transaction from the
 * database, so port-less servers and other replicas' writes count.
 */

function isComposed(server: Pick<ServerRow, 'enabled' | 'compose'>): boolean {
  return server.enabled && server.compose;
}

function nameProblems(server: Pick<ServerRow, 'id' | 'toolPrefix'>, tools: readonly string[], strict: boolean): string[] {
  return tools.flatMap((tool) => {
    const problem = composedNameProblem(composedName(prefixOf(server), tool), strict);
    return problem ? [`${server.id}/${tool}: ${problem}`] : [];
  });
}

/** A server written with `next` state: every clash its tools would have with the other composed servers' tools. */
export async function checkServerComposition(store: ServerStore, next: ServerRow, strict: boolean): Promise<void> {
  if (!isComposed(next)) return;
  const own = await store.toolNames(next.id);
  const problems = nameProblems(next, own, strict);
  if (problems.length)
    throw new AppError('bad_request', `Composed tool names would break the name rule: ${problems.slice(0, 10).join('; ')}`, {
      details: [{ path: '/toolPrefix', message: problems[0]! }],
    });
  const taken = new Map<string, string>();
  for (const { server, tools } of await store.composedTools(next.id)) {
    for (const tool of tools) taken.set(composedName(prefixOf(server), tool), `${server.id}/${tool}`);
  }
  const clashes: string[] = [];
  for (const tool of own) {
    const name = composedName(prefixOf(next), tool);
    if (RESERVED_TOOL_NAMES.has(name)) clashes.push(`"${name}" (${next.id}/${tool}) is a management tool's name`);
    else if (taken.has(name)) clashes.push(`"${name}" (${next.id}/${tool}) is also ${taken.get(name)}`);
  }
  if (clashes.length) {
    throw new AppError(
      'conflict',
      `Tool names would clash on the gateway /mcp: ${clashes.slice(0, 10).join('; ')}${clashes.length > 10 ? ` (+${clashes.length - 10} more)` : ''}`,
      {
        details: [{ path: '/toolPrefix', message: 'makes composed tool names clash' }],
        extra: { clashes },
      },
    );
  }
}

/** A tool created (or renamed) on `server`: its composed name must be free and within the name rule. */
export async function checkToolComposition(store: ServerStore, server: ServerRow | undefined, tool: string, strict: boolean): Promise<void> {
  if (!server || !isComposed(server)) return;
  const name = composedName(prefixOf(server), tool);
  const problem = composedNameProblem(name, strict);
  if (problem) throw new AppError('bad_request', `On the gateway /mcp this tool would be ${problem}`, { details: [{ path: '/name', message: problem }] });
  if (RESERVED_TOOL_NAMES.has(name)) {
    throw new AppError('conflict', `On the gateway /mcp this tool would be "${name}", a management tool's name`, {
      details: [{ path: '/name', message: 'clashes' }],
    });
  }
  const holders = await store.composedNameHolders(name, server.id, tool);
  if (holders.length) {
    const held = holders.map((holder) => `${holder.serverId}/${holder.tool}`).join(', ');
    throw new AppError('conflict', `On the gateway /mcp this tool would be "${name}", which ${held} already is: rename it or change a server's toolPrefix`, {
      details: [{ path: '/name', message: `clashes with ${held}` }],
    });
  }
}
