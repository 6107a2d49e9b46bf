import type { OperationSpec } from './operation.ts';

const session = {
  type: 'object',
  properties: {
    signedIn: { type: 'boolean', description: 'Whether a session cookie is in use (false: none, or a loopback caller let in without a credential)' },
    mode: { enum: ['gateway', 'listener'], description: 'Where the UI is: the gateway (every server under /<id>) or one listener' },
    server: { type: 'string', description: "In listener mode, this listener's server" },
    principal: {
      anyOf: [
        {
          type: 'object',
          properties: { kind: { type: 'string' }, actor: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } },
        },
        { type: 'null' },
      ],
    },
    csrf: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'The X-CSRF-Token every changing request made with the cookie must carry' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** The admin web UI (/ui) and its sign-in (/ui/session): on the gateway, or on each listener without one. */
export const UI_OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/ui',
    tag: 'Admin UI',
    summary: 'The admin web UI (a page; sign in there)',
    access: 'public',
    feature: 'ui',
    ok: { status: '200', description: 'HTML', mediaType: 'text/html', schema: { type: 'string' } },
  },
  {
    method: 'get',
    path: '/ui/{resource}',
    tag: 'Admin UI',
    summary: "The UI's scripts, stylesheet and icon",
    access: 'public',
    feature: 'ui',
    ok: { status: '200', description: 'The file', mediaType: 'text/javascript', schema: { type: 'string' } },
    errors: ['404'],
  },
  {
    method: 'get',
    path: '/ui/session',
    tag: 'Admin UI',
    summary: 'Who is signed in (the session cookie), and its CSRF token',
    access: 'public',
    feature: 'ui',
    ok: { status: '200', description: 'The session', schema: session },
  },
  {
    method: 'post',
    path: '/ui/session',
    tag: 'Admin UI',
    summary: 'Sign in: an API key or the admin token for an HttpOnly, SameSite=Strict session cookie',
    access: 'public',
    feature: 'ui',
    body: {
      schema: {
        type: 'object',
        properties: { credential: { type: 'string', minLength: 1, maxLength: 1024, description: 'An API key (tp_…) or TOOLPORT_ADMIN_TOKEN' } },
        required: ['credential'],
      },
    },
    ok: { status: '201', description: 'Signed in: Set-Cookie toolport_ui, and the session', schema: session },
    errors: ['400', '401', '403'],
  },
  {
    method: 'delete',
    path: '/ui/session',
    tag: 'Admin UI',
    summary: 'Sign out (needs X-CSRF-Token)',
    access: 'public',
    feature: 'ui',
    ok: { status: '200', description: 'Signed out', schema: { type: 'object', properties: { signedOut: { type: 'boolean' } } } },
    errors: ['403'],
  },
];
