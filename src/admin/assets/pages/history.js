// A tool's history: its revisions (GET /tools/:name/revisions), any two versions side by side with the changed lines
// marked (GET /tools/:name/revisions/:version for both, GET /tools/:name/diff for the changed fields), and rollback.
import { get, query } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, field, h, replace, successNotice, table, time } from '../lib/dom.js';
import { debounce, subscribe } from '../lib/live.js';
import { diffView } from '../lib/revision-diff.js';
import { can } from '../lib/session.js';
import { pretty } from '../lib/text.js';
import { send, toolApi } from '../lib/tool-api.js';
import { toolTabs } from '../lib/tool-tabs.js';

const PAGE = 20;
const TONE = { create: 'ok', update: 'warn', rollback: 'warn', delete: 'bad' };

export async function render(root, params) {
  const server = params.server;
  const name = params.tool;
  const path = toolApi(name);
  let revisions = [];
  let nextCursor;
  let total = 0;
  let picked = null; // { from, to } once the person chose; null: the two newest
  let full = false;
  const definitions = new Map();
  let comparing = 0;

  const status = h('div');
  const listArea = h('div');
  const pager = h('div', { class: 'pager' });
  const fromSelect = h('select', { id: 'history-from', name: 'from', onchange: () => choose() });
  const toSelect = h('select', { id: 'history-to', name: 'to', onchange: () => choose() });
  const fullBox = h('input', {
    type: 'checkbox',
    id: 'history-full',
    onchange: () => {
      full = fullBox.checked;
      compare();
    },
  });
  const compareArea = h('div', { 'aria-live': 'polite' });

  const writer = can('write', server);
  const current = () => revisions[0];

  async function revision(version) {
    if (!definitions.has(version)) definitions.set(version, get(`${path}/revisions/${version}`, { server }));
    try {
      return await definitions.get(version);
    } catch (error) {
      definitions.delete(version);
      throw error;
    }
  }

  async function load() {
    const want = Math.min(100, Math.max(PAGE, revisions.length));
    const page = await get(`${path}/revisions${query({ limit: want })}`, { server });
    revisions = page.revisions ?? [];
    nextCursor = page.nextCursor;
    total = page.total ?? revisions.length;
  }

  async function loadMore() {
    replace(status);
    try {
      const page = await get(`${path}/revisions${query({ limit: PAGE, cursor: nextCursor })}`, { server });
      const seen = new Set(revisions.map((r) => r.version));
      revisions = [...revisions, ...(page.revisions ?? []).filter((r) => !seen.has(r.version))];
      nextCursor = page.nextCursor;
      total = page.total ?? total;
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function rollback(rev) {
    const yes = await confirmDialog(
      `Roll back ${name} to version ${rev.version}? This writes a new version with the definition of version ${rev.version}.`,
      `Roll back to version ${rev.version}`,
    );
    if (!yes) return;
    replace(status);
    const newest = current();
    try {
      const answer = await send(
        'POST',
        `${path}/rollback`,
        { version: rev.version },
        { server, ifMatch: newest && newest.operation !== 'delete' ? newest.version : undefined },
      );
      picked = null;
      await load();
      draw();
      const now = answer?.tool?.version ?? current()?.version;
      const changed = Array.isArray(answer?.changed) && answer.changed.length ? ` Changed: ${answer.changed.join(', ')}.` : ' Nothing changed.';
      replace(
        status,
        successNotice(
          `Rolled back to version ${answer?.rolledBackTo ?? rev.version}${answer?.restored ? ' (the deleted tool is restored)' : ''}: ${name} is now version ${now}.${changed}`,
        ),
      );
    } catch (error) {
      replace(status, errorNotice(error));
      if (error.status === 412) {
        await load().catch(() => {});
        draw();
      }
    }
  }

  const columns = [
    { key: 'version', label: 'Version', num: true, render: (r) => h('strong', {}, String(r.version)) },
    {
      key: 'operation',
      label: 'Change',
      render: (r) =>
        h(
          'div',
          { class: 'actions' },
          badge(r.operation, TONE[r.operation] ?? 'warn'),
          r === current() && r.operation !== 'delete' ? badge('current', 'ok') : null,
        ),
    },
    {
      key: 'changed',
      label: 'Fields changed',
      render: (r) =>
        Array.isArray(r.changed) && r.changed.length
          ? r.changed.flatMap((f, i) => [i ? ', ' : null, h('code', {}, f)])
          : h('span', { class: 'muted' }, r.operation === 'create' ? 'new tool' : '—'),
    },
    { key: 'actor', label: 'By', render: (r) => r.actor ?? '' },
    { key: 'changedAt', label: 'When', render: (r) => time(r.changedAt) },
    {
      key: 'actions',
      label: 'Actions',
      render: (r) => {
        if (r === current() && r.operation !== 'delete') return h('span', { class: 'muted' }, 'current version');
        if (!writer || r.operation === 'delete') return '';
        return h('button', { type: 'button', class: 'secondary', onclick: () => rollback(r) }, `Roll back to version ${r.version}`);
      },
    },
  ];

  function fillSelect(select, value) {
    replace(
      select,
      revisions.map((r) => h('option', { value: String(r.version), selected: r.version === value }, `${r.version} · ${r.operation} · ${r.actor ?? ''}`)),
    );
    select.value = String(value);
  }

  function draw() {
    replace(
      listArea,
      revisions.length ? table(columns, revisions, { caption: `Revisions of ${name}, newest first` }) : h('p', { class: 'muted' }, 'No revisions.'),
    );
    replace(
      pager,
      h('span', { class: 'muted' }, `${revisions.length} of ${total} revision${total === 1 ? '' : 's'} shown`),
      nextCursor ? h('button', { type: 'button', class: 'secondary', onclick: loadMore }, 'Load older revisions') : null,
    );
    const versions = new Set(revisions.map((r) => r.version));
    if (picked && !(versions.has(picked.from) && versions.has(picked.to))) picked = null;
    const to = picked?.to ?? revisions[0]?.version;
    const from = picked?.from ?? revisions[1]?.version ?? to;
    fillSelect(fromSelect, from);
    fillSelect(toSelect, to);
    compare();
  }

  function choose() {
    picked = { from: Number(fromSelect.value), to: Number(toSelect.value) };
    compare();
  }

  async function compare() {
    const ticket = ++comparing;
    const from = Number(fromSelect.value);
    const to = Number(toSelect.value);
    if (!from || !to) {
      replace(compareArea);
      return;
    }
    try {
      const [a, b, diff] = await Promise.all([revision(from), revision(to), from === to ? null : get(`${path}/diff${query({ from, to })}`, { server })]);
      if (ticket !== comparing) return;
      const view = diffView(a, b, full);
      const changed = diff?.changed ?? [];
      replace(
        compareArea,
        from === to
          ? h('p', { class: 'muted' }, `Both sides are version ${from}: nothing to compare. Its full definition:`)
          : h(
              'p',
              {},
              `Version ${from} → version ${to}: `,
              changed.length ? ['fields changed: ', changed.flatMap((f, i) => [i ? ', ' : null, h('code', {}, f)])] : 'no field changed',
              ` (${view.changes} line${view.changes === 1 ? '' : 's'} differ).`,
            ),
        view.grid,
        diff?.diff ? h('details', {}, h('summary', {}, 'Unified diff (from the API)'), h('pre', { tabindex: '0' }, diff.diff)) : null,
        diff?.patch ? h('details', {}, h('summary', {}, 'JSON Patch (RFC 6902, from the API)'), h('pre', { tabindex: '0' }, pretty(diff.patch))) : null,
      );
    } catch (error) {
      if (ticket === comparing) replace(compareArea, errorNotice(error));
    }
  }

  try {
    await load();
  } catch (error) {
    replace(root, h('h1', {}, `History of ${name}`), toolTabs(server, name, 'history'), errorNotice(error));
    return;
  }

  replace(
    root,
    h('h1', {}, `History of ${name}`),
    toolTabs(server, name, 'history'),
    status,
    h('section', { 'aria-labelledby': 'history-revisions' }, h('h2', { id: 'history-revisions' }, 'Revisions'), listArea, pager),
    h(
      'section',
      { 'aria-labelledby': 'history-compare' },
      h('h2', { id: 'history-compare' }, 'Compare two versions'),
      h(
        'div',
        { class: 'toolbar' },
        field('From', fromSelect),
        field('To', toSelect),
        h('label', { for: 'history-full', class: 'check' }, fullBox, ' Show unchanged lines'),
      ),
      compareArea,
    ),
  );
  draw();

  // Live: a change of this tool (REST, psql, another replica) refreshes the list; the comparison follows the newest
  // versions unless the person picked two.
  const refresh = debounce(async () => {
    try {
      await load();
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }, 200);
  return subscribe(server, (event) => {
    const names = [...(event.created ?? []), ...(event.updated ?? []), ...(event.deleted ?? [])];
    if (names.includes(name)) refresh();
  });
}
