// The tools of one server (GET /tools): one page of 50 at a time with the API's cursor, search (q) and the available filter on the server, sort within the page, enable/disable/delete, live.
import { get, patch, query } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, field, h, link, replace, sortRows, successNotice, table } from '../lib/dom.js';
import { debounce, subscribe } from '../lib/live.js';
import { can } from '../lib/session.js';
import { shorten } from '../lib/text.js';
import { send, toolApi } from '../lib/tool-api.js';
import { toolPath } from '../lib/tool-tabs.js';

const PAGE_SIZE = 50;

export async function render(root, params) {
  const server = params.server;
  const memoryKey = `toolport.tools.${server}`;
  let remembered = {};
  try {
    remembered = JSON.parse(sessionStorage.getItem(memoryKey) ?? '{}') ?? {};
  } catch {
    remembered = {};
  }
  let q = typeof remembered.q === 'string' ? remembered.q : '';
  let available = ['true', 'false'].includes(remembered.available) ? remembered.available : '';
  /** The cursor of each page visited: cursors[0] is the first page (no cursor), the last one is the page shown. */
  let cursors = [undefined];
  let data = null;
  let sortKey = null;
  let sortDir = 'asc';
  let ticket = 0;
  let controller = null;
  let stopped = false;
  const writer = can('write', server);
  const caller = can('call', server);

  const search = h('input', { type: 'search', value: q, autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. stock' });
  const filter = h(
    'select',
    {},
    h('option', { value: '', selected: available === '' }, 'All'),
    h('option', { value: 'true', selected: available === 'true' }, 'Available'),
    h('option', { value: 'false', selected: available === 'false' }, 'Unavailable'),
  );
  const countEl = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const status = h('div');
  const list = h('div');
  const prev = h('button', { type: 'button', class: 'secondary', onclick: () => previousPage(), disabled: true }, '← Previous');
  const next = h('button', { type: 'button', class: 'secondary', onclick: () => nextPage(), disabled: true }, 'Next →');
  const pageEl = h('span', { class: 'muted' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of tools' }, prev, pageEl, next);

  const columns = [
    {
      key: 'name',
      label: 'Name',
      sort: (t) => t.name,
      render: (t) => link(toolPath(server, t.name), t.name, { 'data-focus': `open:${t.name}` }),
    },
    {
      key: 'about',
      label: 'Title / description',
      render: (t) =>
        h(
          'div',
          { title: t.description ?? '' },
          t.title ? h('strong', {}, shorten(t.title, 80)) : null,
          h('div', { class: 'muted' }, shorten(t.description, 120)),
        ),
    },
    { key: 'handler', label: 'Handler', sort: (t) => t.handler, render: (t) => h('code', {}, t.handler) },
    {
      key: 'available',
      label: 'Available',
      sort: (t) => (t.available ? 0 : 1),
      render: (t) =>
        h(
          'div',
          {},
          t.available ? badge('available', 'ok') : badge('unavailable', 'bad'),
          !t.available && t.reason ? h('div', { class: 'muted', title: t.reason }, shorten(t.reason, 90)) : null,
        ),
    },
    {
      key: 'enabled',
      label: 'Enabled',
      sort: (t) => (t.enabled ? 0 : 1),
      render: (t) => (t.enabled ? badge('enabled', 'ok') : badge('disabled', 'warn')),
    },
    {
      key: 'actions',
      label: 'Actions',
      render: (t) =>
        h(
          'div',
          { class: 'actions compact' },
          writer ? link(toolPath(server, t.name, 'edit'), 'Edit', { 'aria-label': `Edit ${t.name}`, 'data-focus': `edit:${t.name}` }) : null,
          caller ? link(toolPath(server, t.name, 'try'), 'Try it', { 'aria-label': `Try it: ${t.name}`, 'data-focus': `try:${t.name}` }) : null,
          link(toolPath(server, t.name, 'history'), 'History', { 'aria-label': `History of ${t.name}`, 'data-focus': `history:${t.name}` }),
          writer
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () => toggle(t),
                  'aria-label': `${t.enabled ? 'Disable' : 'Enable'} ${t.name}`,
                  'data-focus': `toggle:${t.name}`,
                },
                t.enabled ? 'Disable' : 'Enable',
              )
            : null,
          writer
            ? h(
                'button',
                { type: 'button', class: 'danger', onclick: () => remove(t), 'aria-label': `Delete ${t.name}`, 'data-focus': `delete:${t.name}` },
                'Delete',
              )
            : null,
        ),
    },
  ];

  function remember() {
    try {
      sessionStorage.setItem(memoryKey, JSON.stringify({ q, available }));
    } catch {
      // private mode: nothing kept, nothing lost
    }
  }

  function draw() {
    if (!data) return;
    // keep the keyboard focus on the same control when the page is redrawn (live updates)
    const focused = document.activeElement?.getAttribute?.('data-focus');
    const tools = data.tools ?? [];
    const filtered = q !== '' || available !== '';
    const noun = data.count === 1 ? 'tool' : 'tools';
    countEl.textContent = filtered ? `${data.count} ${noun} match` : `${data.count} ${noun}`;
    replace(
      list,
      tools.length
        ? table(columns, sortRows(tools, columns, sortKey, sortDir), { caption: `Tools of ${server}, page ${cursors.length}`, sortKey, sortDir, onSort })
        : h('p', { class: 'muted' }, filtered ? 'No tool matches.' : 'No tools yet.'),
    );
    const pages = Math.max(1, Math.ceil((data.count ?? 0) / PAGE_SIZE));
    pageEl.textContent = `Page ${cursors.length} of ${pages} · ${tools.length} shown`;
    prev.disabled = cursors.length <= 1;
    next.disabled = !data.nextCursor;
    pager.hidden = cursors.length <= 1 && !data.nextCursor;
    if (focused) list.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  function onSort(key) {
    sortDir = sortKey === key && sortDir === 'asc' ? 'desc' : 'asc';
    sortKey = key;
    draw();
    list.querySelector('th[aria-sort="ascending"] button, th[aria-sort="descending"] button')?.focus();
  }

  /** Fetch the page at the top of the cursor stack (the current one). */
  async function load() {
    const mine = ++ticket;
    controller?.abort();
    controller = new AbortController();
    const cursor = cursors[cursors.length - 1];
    try {
      const answer = await get(`/tools${query({ limit: PAGE_SIZE, cursor, q: q.trim(), available })}`, { server, signal: controller.signal });
      if (mine !== ticket || stopped) return;
      // the page emptied under us (its tools deleted): step back to the page before
      if ((answer.tools ?? []).length === 0 && cursors.length > 1) {
        cursors.pop();
        await load();
        return;
      }
      data = answer;
      draw();
    } catch (error) {
      if (error?.name === 'AbortError' || mine !== ticket || stopped) return;
      if (error?.status === 400 && cursors.length > 1 && error.details?.some((d) => d.path === '/query/cursor')) {
        cursors = [undefined];
        await load();
        return;
      }
      replace(status, errorNotice(error));
    }
  }

  function restart() {
    cursors = [undefined];
    remember();
    load();
  }

  async function nextPage() {
    if (!data?.nextCursor) return;
    cursors.push(data.nextCursor);
    await load();
    (next.disabled ? prev : next).focus();
  }

  async function previousPage() {
    if (cursors.length <= 1) return;
    cursors.pop();
    await load();
    (prev.disabled ? next : prev).focus();
  }

  async function toggle(tool) {
    try {
      await patch(toolApi(tool.name), { enabled: !tool.enabled }, { server });
      replace(status, successNotice(`Tool ${tool.name} ${tool.enabled ? 'disabled' : 'enabled'}.`));
      await load();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function remove(tool) {
    if (!(await confirmDialog(`Delete tool ${tool.name} of ${server}?`))) return;
    try {
      await send('DELETE', toolApi(tool.name), undefined, { server, ifMatch: tool.version });
      replace(status, successNotice(`Tool ${tool.name} deleted.`));
    } catch (error) {
      if (error?.status === 412)
        replace(
          status,
          errorNotice({
            code: error.code,
            message: `Tool ${tool.name} changed since this list was loaded (it is now at version ${error.body?.error?.currentVersion ?? '?'}); nothing was deleted. The list is reloaded: check it and delete again.`,
          }),
        );
      else replace(status, errorNotice(error));
    }
    await load();
    search.focus();
  }

  const typed = debounce(() => {
    if (search.value === q) return;
    q = search.value;
    replace(status);
    restart();
  }, 250);
  search.addEventListener('input', typed);
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      q = search.value;
      restart();
    }
  });
  filter.addEventListener('change', () => {
    available = filter.value;
    q = search.value;
    replace(status);
    restart();
  });

  replace(
    root,
    h('p', {}, link('/servers', '← Servers')),
    h('h1', {}, `Tools of ${server}`),
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'grow' }, field('Search name, title or description', search)),
      field('Availability', filter),
      writer ? h('div', { class: 'field' }, link(`/servers/${encodeURIComponent(server)}/tools/new`, 'New tool', { class: 'button' })) : null,
    ),
    countEl,
    status,
    list,
    pager,
  );
  await load();
  const stop = subscribe(
    server,
    debounce(() => load(), 250),
  );
  return () => {
    stopped = true;
    controller?.abort();
    stop();
  };
}
