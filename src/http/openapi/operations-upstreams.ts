import { CreateUpstreamBodySchema, PatchUpstreamBodySchema } from '../../registry/upstream-body.ts';
import { ref } from './components.ts';
import type { OperationSpec } from './operation.ts';

const object = ref('Object');

/** /upstreams (admin): other MCP servers whose tools servers carry. */
export const UPSTREAM_OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/upstreams',
    tag: 'Upstreams',
    summary: 'List upstream MCP servers, with their connection and breaker state',
    access: 'admin',
    feature: 'upstreams',
    ok: { status: '200', description: 'The upstreams', schema: { type: 'object', additionalProperties: true } },
  },
  {
    method: 'get',
    path: '/upstreams/{id}',
    tag: 'Upstreams',
    summary: 'One upstream and what its connection is doing',
    access: 'admin',
    feature: 'upstreams',
    ok: { status: '200', description: 'The upstream', schema: object },
    errors: ['404'],
  },
  {
    method: 'post',
    path: '/upstreams',
    tag: 'Upstreams',
    summary: 'Add an upstream MCP server (its tools appear as <prefix>_<tool>)',
    access: 'admin',
    feature: 'upstreams',
    body: { schema: CreateUpstreamBodySchema },
    ok: { status: '201', description: 'Created', schema: object },
    errors: ['409'],
  },
  {
    method: 'patch',
    path: '/upstreams/{id}',
    tag: 'Upstreams',
    summary: 'Change an upstream',
    access: 'admin',
    feature: 'upstreams',
    body: { schema: PatchUpstreamBodySchema },
    ok: { status: '200', description: 'Changed', schema: object },
    errors: ['404'],
  },
  {
    method: 'delete',
    path: '/upstreams/{id}',
    tag: 'Upstreams',
    summary: 'Remove an upstream (its tools go with it)',
    access: 'admin',
    feature: 'upstreams',
    ok: { status: '200', description: 'Removed', schema: object },
    errors: ['404'],
  },
];
