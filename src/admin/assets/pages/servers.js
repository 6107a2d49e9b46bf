// Servers: every server with its health, port and gateway path, and tool counts (GET /servers, GET /health); create, edit, disable, delete.
import { del, get, patch, serverBase, uiMode } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, h, link, replace, sortRows, table } from '../lib/dom.js';
import { runAction } from '../lib/forms.js';
import { debounce, subscribe } from '../lib/live.js';
import { isAdmin, scopedServers } from '../lib/session.js';

const HEALTH_TONE = { ok: 'ok', degraded: 'warn', listener_failed: 'bad', disabled: 'warn', not_served: 'warn', elsewhere: 'warn' };

/** The servers as this caller can know them: GET /servers (admin) joined with /health's per-server state. */
async function load() {
  const health = await get('/health');
  const summaries = new Map();
  for (const summary of health.servers ?? []) summaries.set(summary.id, summary);
  if (!health.servers && health.server)
    summaries.set(health.server, { id: health.server, status: health.status === 'ok' ? 'ok' : 'degraded', reason: health.reason });
  if (isAdmin()) {
    const { servers } = await get('/servers');
    return servers.map((row) => ({ ...row, summary: summaries.get(row.id) }));
  }
  // Without admin: the servers the caller's scopes name (every served one for a * scope).
  const named = scopedServers();
  const ids = named.includes('*') ? [...summaries.keys()] : named;
  return ids.map((id) => ({ id, name: id, enabled: true, summary: summaries.get(id), tools: summaries.get(id)?.tools }));
}

/** The port this process serves the server on now (TOOLPORT_SERVERS may move it off its row's), else its row's. */
const portOf = (row) => row.listeningPort ?? row.port;

function healthOf(row) {
  if (!row.enabled) return { status: 'disabled' };
  if (row.summary) return row.summary;
  return uiMode().mode === 'listener' ? { status: 'elsewhere', reason: 'served on its own port' } : { status: 'not_served' };
}

export async function render(root) {
  let sortKey = 'id';
  let sortDir = 'asc';
  let rows = [];
  const status = h('div');
  const list = h('div');
  const columns = [
    {
      key: 'id',
      label: 'Server',
      sort: (r) => r.id,
      render: (r) => h('div', {}, h('strong', {}, r.name ?? r.id), h('div', { class: 'muted' }, h('code', {}, r.id))),
    },
    {
      key: 'health',
      label: 'Health',
      sort: (r) => healthOf(r).status,
      render: (r) => {
        const state = healthOf(r);
        return h(
          'div',
          {},
          badge(state.status.replace('_', ' '), HEALTH_TONE[state.status] ?? 'warn'),
          state.reason ? h('div', { class: 'muted' }, state.reason) : null,
        );
      },
    },
    {
      key: 'where',
      label: 'Port / path',
      sort: (r) => portOf(r) ?? 0,
      render: (r) =>
        h(
          'div',
          {},
          portOf(r) ? h('div', {}, `port ${portOf(r)}`) : h('div', { class: 'muted' }, 'no port'),
          r.listeningPort && r.port && r.listeningPort !== r.port ? h('div', { class: 'muted' }, `configured ${r.port}`) : null,
          uiMode().mode === 'gateway' ? h('div', {}, h('code', {}, `/${r.id}`)) : null,
        ),
    },
    {
      key: 'tools',
      label: 'Tools',
      num: true,
      sort: (r) => r.summary?.tools?.total ?? r.tools?.total ?? 0,
      render: (r) => {
        const counts = r.summary?.tools ?? r.tools;
        if (!counts) return '';
        return counts.available !== undefined && counts.available !== counts.total ? `${counts.available} / ${counts.total} available` : String(counts.total);
      },
    },
    {
      key: 'actions',
      label: 'Actions',
      render: (r) => {
        const here = serverBase(r.id) !== undefined;
        const own =
          portOf(r) && uiMode().mode === 'listener'
            ? `${location.protocol}//${location.hostname}:${portOf(r)}/ui#/servers/${encodeURIComponent(r.id)}/tools`
            : null;
        return h(
          'div',
          { class: 'actions' },
          here
            ? link(`/servers/${encodeURIComponent(r.id)}/tools`, 'Tools', { 'aria-label': `Tools of ${r.id}` })
            : own
              ? h('a', { href: own }, 'Tools (its port)')
              : null,
          isAdmin() ? link(`/servers/${encodeURIComponent(r.id)}/edit`, 'Edit', { 'aria-label': `Edit ${r.id}` }) : null,
          isAdmin()
            ? h(
                'button',
                { type: 'button', class: 'secondary', onclick: () => toggle(r), 'aria-label': `${r.enabled ? 'Disable' : 'Enable'} ${r.id}` },
                r.enabled ? 'Disable' : 'Enable',
              )
            : null,
          isAdmin() ? h('button', { type: 'button', class: 'danger', onclick: () => remove(r), 'aria-label': `Delete ${r.id}` }, 'Delete') : null,
        );
      },
    },
  ];

  function draw() {
    replace(
      list,
      rows.length
        ? table(columns, sortRows(rows, columns, sortKey, sortDir), { caption: 'Servers', sortKey, sortDir, onSort })
        : h('p', { class: 'muted' }, 'No servers.'),
    );
  }
  function onSort(key) {
    sortDir = sortKey === key && sortDir === 'asc' ? 'desc' : 'asc';
    sortKey = key;
    draw();
  }
  async function refresh() {
    try {
      rows = await load();
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }
  function toggle(row) {
    return runAction(
      status,
      async () => {
        await patch(`/servers/${encodeURIComponent(row.id)}`, { enabled: !row.enabled });
        await refresh();
      },
      `Server ${row.id} ${row.enabled ? 'disabled' : 'enabled'}.`,
    );
  }
  async function remove(row) {
    if (!(await confirmDialog(`Delete server ${row.id}?`))) return;
    await runAction(
      status,
      async () => {
        await del(`/servers/${encodeURIComponent(row.id)}`);
        await refresh();
      },
      `Server ${row.id} deleted.`,
    );
  }

  replace(
    root,
    h('h1', {}, 'Servers'),
    h('div', { class: 'toolbar' }, isAdmin() ? link('/servers/new', 'New server', { class: 'button' }) : null),
    status,
    list,
  );
  await refresh();
  // Tool counts change with `tools` events, the rows themselves with `servers` events (REST, psql, another replica).
  const later = debounce(refresh, 200);
  const stopTools = subscribe(null, later);
  const stopServers = subscribe(null, later, 'servers');
  return () => {
    stopTools();
    stopServers();
  };
}
