// The admin UI's shell: sign-in state, the navigation, a hash router (#/servers, #/servers/finance/tools …), the live indicator.
import { configure, get, request } from './lib/api.js';
import { h, link, replace } from './lib/dom.js';
import { closeAll, onLiveState } from './lib/live.js';
import { isAdmin, session, setSession } from './lib/session.js';

/**
 * Routes: pattern → page module (each exports `render(main, params, ctx)`, which may
 * return a cleanup function run when the page is left). `admin: true` pages are left
 * out of the navigation for callers without the admin scope (the API refuses them anyway).
 */
const ROUTES = [
  { pattern: '/sign-in', page: () => import('./pages/sign-in.js'), public: true },
  { pattern: '/servers', page: () => import('./pages/servers.js'), nav: 'Servers' },
  { pattern: '/servers/new', page: () => import('./pages/server-form.js'), admin: true },
  { pattern: '/servers/:server/edit', page: () => import('./pages/server-form.js'), admin: true },
  { pattern: '/servers/:server/tools', page: () => import('./pages/tools.js') },
  { pattern: '/servers/:server/tools/new', page: () => import('./pages/tool-form.js') },
  { pattern: '/servers/:server/tools/:tool', page: () => import('./pages/tool.js') },
  { pattern: '/servers/:server/tools/:tool/edit', page: () => import('./pages/tool-form.js') },
  { pattern: '/servers/:server/tools/:tool/try', page: () => import('./pages/try-it.js') },
  { pattern: '/servers/:server/tools/:tool/history', page: () => import('./pages/history.js') },
  { pattern: '/keys', page: () => import('./pages/keys.js'), nav: 'Keys', admin: true },
  { pattern: '/data-sources', page: () => import('./pages/data-sources.js'), nav: 'Data sources', admin: true },
  { pattern: '/upstreams', page: () => import('./pages/upstreams.js'), nav: 'Upstreams', admin: true },
  { pattern: '/audit', page: () => import('./pages/audit.js'), nav: 'Audit log', admin: true },
];

function match(path) {
  // A page's own query (#/audit?action=call) is the page's to read: routes match the path before it.
  const parts = path.split('?')[0].split('/').filter(Boolean);
  for (const route of ROUTES) {
    const want = route.pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length; i++) {
      if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(parts[i]);
      else if (want[i] !== parts[i]) ok = false;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

/** Go to a page: navigate('/servers/finance/tools'). */
function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

const main = () => document.getElementById('main');
let cleanup = null;
let rendering = 0;

function renderNav(path) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const { signedIn, principal } = session();
  if (!principal) {
    replace(nav);
    replace(who);
    return;
  }
  const items = ROUTES.filter((route) => route.nav && (!route.admin || isAdmin()));
  replace(
    nav,
    items.map((route) => h('a', { href: `#${route.pattern}`, 'aria-current': path.startsWith(route.pattern) ? 'page' : null }, route.nav)),
  );
  replace(
    who,
    h('span', {}, 'Signed in as ', h('strong', {}, principal.name), principal.kind === 'local' ? ' (loopback, no credential)' : ''),
    signedIn ? h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out') : link('/sign-in', 'Sign in'),
  );
}

async function signOut() {
  try {
    await request('DELETE', '/ui/session');
  } catch {
    // the cookie is cleared below either way
  }
  closeAll();
  await loadSession();
  navigate('/sign-in');
}

async function loadSession() {
  const data = await get('/ui/session');
  setSession(data);
  configure({ csrf: data.csrf, mode: data.mode, server: data.server, onSignedOut: signedOut });
  return data;
}

async function signedOut() {
  closeAll();
  await loadSession().catch(() => {});
  if (!session().principal) navigate('/sign-in');
}

async function render() {
  const ticket = ++rendering;
  // Opened at /ui: the servers, or the sign-in page for a caller let in without a credential who may not administer (local-open with a token set).
  const { signedIn, principal } = session();
  const path = location.hash.replace(/^#/, '') || (!signedIn && principal && !isAdmin() ? '/sign-in' : '/servers');
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a page's cleanup never blocks the next page
    }
    cleanup = null;
  }
  const found = match(path);
  if (!found) {
    replace(main(), h('h1', {}, 'Not found'), h('p', {}, 'No page ', h('code', {}, path), '. ', link('/servers', 'Go to the servers.')));
    return;
  }
  if (!found.route.public && !session().principal) {
    navigate('/sign-in');
    return;
  }
  renderNav(path);
  const module = await found.route.page();
  if (ticket !== rendering) return;
  const root = main();
  replace(root, h('p', { class: 'muted' }, 'Loading…'));
  const ctx = {
    navigate,
    link,
    reloadSession: async () => {
      await loadSession();
      renderNav(path);
    },
  };
  const result = await module.render(root, found.params, ctx);
  if (ticket !== rendering) {
    if (typeof result === 'function') result();
    return;
  }
  if (typeof result === 'function') cleanup = result;
  const heading = root.querySelector('h1');
  document.title = heading ? `${heading.textContent} · Toolport` : 'Toolport admin';
  root.focus({ preventScroll: true });
}

onLiveState((state) => {
  const el = document.getElementById('live');
  el.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ reconnecting…' : '';
});

window.addEventListener('hashchange', () => render());
loadSession()
  .then(() => render())
  .catch((error) => replace(main(), h('div', { class: 'notice error', role: 'alert' }, `Cannot reach the server: ${error.message}`)));
