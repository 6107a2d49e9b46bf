import type { OperationSpec } from './operation.ts';

/** GET /changes: the registry changes of this server, live (server-sent events). */
export const CHANGE_OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/changes',
    tag: 'Tools',
    summary: 'Live registry changes (server-sent events)',
    description:
      'A text/event-stream: first `event: ready` ({server, revision, tools}), then one `event: tools` per change the registry applies — REST, SQL, another replica — with {server, revision, created, updated, deleted} naming only the tools your credential can see (no definitions); `event: servers` ({servers: [ids] or "all"}) when a servers row changes, naming only servers your credential may list; `event: ended` ({server, reason}) when the credential stops admitting the stream, which then closes. A `: heartbeat` comment every 15 s keeps proxies from closing it. Needs the scope GET /tools needs.',
    access: 'read',
    ok: { status: '200', description: 'A text/event-stream of changes', mediaType: 'text/event-stream', schema: { type: 'string' } },
  },
];
