// Who is signed in, and what the scopes allow (the same rules as src/auth/scopes.ts; the server decides, this only hides what would be refused).

let current = { signedIn: false, principal: null, csrf: null, mode: 'listener', server: null };

export function setSession(session) {
  current = session;
}

export function session() {
  return current;
}

function parse(text) {
  if (text === 'admin') return { server: '*', action: 'admin' };
  const [server, action, glob] = text.split(':');
  return { server, action, glob };
}

function covers(granted, asked) {
  return granted === asked || (asked === 'list' && (granted === 'call' || granted === 'write'));
}

/** Whether the signed-in caller may do `action` ('list' | 'call' | 'write' | 'admin') on some tool of `server` ('*': process-wide). */
export function can(action, server = '*') {
  const scopes = current.principal?.scopes ?? [];
  return scopes.map(parse).some((scope) => {
    if (scope.action === 'admin') return true;
    if (action === 'admin') return false;
    return (scope.server === '*' || scope.server === server) && covers(scope.action, action);
  });
}

export const isAdmin = () => can('admin');

/** The servers named in the caller's scopes ('*' when any server). */
export function scopedServers() {
  const names = new Set((current.principal?.scopes ?? []).map(parse).map((scope) => scope.server));
  return [...names];
}
