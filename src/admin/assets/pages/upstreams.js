// Upstream MCP servers (admin only): each with its live connection and breaker state (GET /upstreams, refreshed every 2 s);
// add (POST), edit (PATCH: only what changed), enable/disable, delete. Header and env values are ${secret:NAME} references.
import { del, get, patch } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, h, replace, successNotice, time } from '../lib/dom.js';
import { runAction } from '../lib/forms.js';
import { upstreamForm } from '../lib/upstream-form.js';

const REFRESH_MS = 2000;
const CONNECTION_TONE = { connected: 'ok', connecting: 'warn', down: 'bad', disabled: 'warn' };
const BREAKER_TONE = { closed: 'ok', 'half-open': 'warn', open: 'bad' };

export async function render(root) {
  let rows;
  let servers;
  try {
    [rows, servers] = await Promise.all([get('/upstreams').then((d) => d.upstreams ?? []), get('/servers').then((d) => d.servers ?? [])]);
  } catch (error) {
    replace(root, h('h1', {}, 'Upstreams'), errorNotice(error));
    return;
  }

  const status = h('div', { 'aria-live': 'polite' });
  const refreshState = h('p', { class: 'muted' });
  const list = h('div');
  const formArea = h('div');
  /** id → the cells that show its live status (updated in place, so focus and scroll stay put). */
  let cells = new Map();
  let shape = '';
  let editing = null;

  function target(r) {
    if (r.transport === 'stdio') return h('code', {}, [r.command, ...(r.args ?? [])].filter(Boolean).join(' '));
    return h('code', {}, r.url ?? '');
  }

  function connectionCell(r) {
    const s = r.status;
    if (!s) return h('span', { class: 'muted' }, 'no status in this process');
    return h(
      'div',
      {},
      badge(s.connection, CONNECTION_TONE[s.connection] ?? 'warn'),
      s.protocolVersion ? h('div', { class: 'muted' }, `MCP ${s.protocolVersion}`) : null,
    );
  }
  function breakerCell(r) {
    const s = r.status;
    if (!s) return '';
    return h(
      'div',
      {},
      badge(s.breaker, BREAKER_TONE[s.breaker] ?? 'warn'),
      h('div', { class: 'muted' }, `${s.consecutiveFailures} consecutive failure${s.consecutiveFailures === 1 ? '' : 's'}`),
      s.retryAt ? h('div', { class: 'muted' }, 'probe at ', time(s.retryAt)) : null,
    );
  }
  function toolsCell(r) {
    const skipped = r.skippedTools ?? [];
    return h(
      'div',
      {},
      r.status ? String(r.status.tools) : '',
      skipped.length
        ? h(
            'details',
            {},
            h('summary', {}, `${skipped.length} skipped`),
            h(
              'ul',
              { class: 'plain' },
              skipped.map((s) => h('li', {}, typeof s === 'string' ? s : JSON.stringify(s))),
            ),
          )
        : null,
    );
  }
  function trafficCell(r) {
    const s = r.status;
    if (!s) return '';
    return h(
      'ul',
      { class: 'plain' },
      h('li', {}, `${s.requests} requests`),
      h('li', {}, `${s.failures} failures`),
      h('li', {}, `${s.retries} retries`),
      s.successRate === null ? null : h('li', { class: 'muted' }, `${Math.round(s.successRate * 1000) / 10}% ok`),
      s.meanLatencyMs === null ? null : h('li', { class: 'muted' }, `mean ${Math.round(s.meanLatencyMs)} ms`),
    );
  }
  function errorCell(r) {
    const s = r.status;
    if (!s?.lastError) return h('span', { class: 'muted' }, 'none');
    return h('span', { class: 'last-error' }, s.lastError);
  }
  function nextCell(r) {
    const s = r.status;
    if (!s?.nextAttemptAt) return h('span', { class: 'muted' }, '—');
    return time(s.nextAttemptAt);
  }
  const LIVE = { connection: connectionCell, breaker: breakerCell, tools: toolsCell, traffic: trafficCell, error: errorCell, next: nextCell };

  function row(r) {
    const live = {};
    for (const [key, make] of Object.entries(LIVE)) live[key] = h('td', { class: key === 'tools' ? 'num' : null }, make(r));
    cells.set(r.id, live);
    return h(
      'tr',
      {},
      h(
        'td',
        {},
        h('strong', {}, h('code', {}, r.id)),
        r.enabled ? null : [' ', badge('disabled', 'warn')],
        h('div', { class: 'muted' }, `server ${r.server} · prefix ${r.prefix}_`),
        r.description ? h('div', { class: 'muted' }, r.description) : null,
        h('div', {}, `${r.transport}: `, target(r)),
      ),
      live.connection,
      live.breaker,
      live.tools,
      live.traffic,
      live.error,
      live.next,
      h(
        'td',
        {},
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => openForm(r), 'aria-label': `Edit ${r.id}` }, 'Edit'),
          h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => toggle(r), 'aria-label': `${r.enabled ? 'Disable' : 'Enable'} ${r.id}` },
            r.enabled ? 'Disable' : 'Enable',
          ),
          h('button', { type: 'button', class: 'danger', onclick: () => remove(r), 'aria-label': `Delete ${r.id}` }, 'Delete'),
        ),
      ),
    );
  }

  function draw() {
    cells = new Map();
    shape = rows.map((r) => `${r.id}@${r.updatedAt}`).join(',');
    if (!rows.length) {
      replace(list, h('p', { class: 'muted' }, 'No upstream MCP servers.'));
      return;
    }
    const heads = ['Upstream', 'Connection', 'Breaker', 'Tools offered', 'Requests', 'Last error', 'Next attempt', 'Actions'];
    replace(
      list,
      h(
        'table',
        { class: 'upstreams' },
        h('caption', { class: 'visually-hidden' }, 'Upstream MCP servers and their live status'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            heads.map((text) => h('th', { scope: 'col' }, text)),
          ),
        ),
        h('tbody', {}, [...rows].sort((a, b) => (a.id < b.id ? -1 : 1)).map(row)),
      ),
    );
  }

  /** The definitions unchanged: only the status cells change; otherwise the table is drawn again. */
  function update(next) {
    rows = next;
    const nextShape = rows.map((r) => `${r.id}@${r.updatedAt}`).join(',');
    if (nextShape !== shape) {
      draw();
      return;
    }
    for (const r of rows) {
      const live = cells.get(r.id);
      if (!live) continue;
      for (const [key, make] of Object.entries(LIVE)) replace(live[key], make(r));
    }
  }

  let busy = 0;
  let chain = Promise.resolve();
  async function load() {
    try {
      update((await get('/upstreams')).upstreams ?? []);
      refreshState.textContent = `Status as of ${new Date().toLocaleTimeString()} (refreshed every ${REFRESH_MS / 1000} s).`;
    } catch (error) {
      refreshState.textContent = `Could not refresh the status: ${error.message}`;
    }
  }
  /** One GET at a time; a caller awaiting it sees the rows drawn from an answer given after its call. */
  function refresh() {
    busy += 1;
    chain = chain.then(load).finally(() => {
      busy -= 1;
    });
    return chain;
  }

  function toggle(r) {
    return runAction(
      status,
      async () => {
        await patch(`/upstreams/${encodeURIComponent(r.id)}`, { enabled: !r.enabled });
        await refresh();
      },
      `Upstream ${r.id} ${r.enabled ? 'disabled' : 'enabled'}.`,
    );
  }
  async function remove(r) {
    if (!(await confirmDialog(`Delete upstream ${r.id}? Its tools go with it.`))) return;
    await runAction(
      status,
      async () => {
        await del(`/upstreams/${encodeURIComponent(r.id)}`);
        if (editing?.id === r.id) closeForm();
        await refresh();
      },
      `Upstream ${r.id} deleted.`,
    );
  }

  function closeForm() {
    editing = null;
    replace(formArea);
    addButton.hidden = false;
  }

  function openForm(r) {
    editing = r ?? null;
    addButton.hidden = true;
    replace(status);
    const form = upstreamForm(r, servers, { onSaved: saved, onCancel: closeForm });
    replace(formArea, form.node);
    form.focus();
  }

  /** After the form saved: close it, show the rows as they are now, then say what was done. */
  async function saved(message) {
    closeForm();
    await refresh();
    replace(status, successNotice(message));
  }

  const addButton = h('button', { type: 'button', onclick: () => openForm() }, 'Add upstream');
  replace(root, h('h1', {}, 'Upstreams'), h('div', { class: 'toolbar' }, addButton), status, formArea, refreshState, list);
  draw();
  const timer = setInterval(() => {
    if (!busy) refresh();
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
