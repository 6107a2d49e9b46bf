// The audit log (admin only): GET /audit, newest first, filtered by what the hash query says (#/audit?action=call&since=24h),
// paged with nextCursor (Older) and the cursors already seen (Newer); each entry's details in a disclosure.
import { get, query } from '../lib/api.js';
import { badge, errorNotice, field, h, link, replace, time } from '../lib/dom.js';
import { showFieldErrors } from '../lib/forms.js';

const FILTERS = ['server', 'tool', 'actor', 'action', 'outcome', 'since', 'limit'];
const LIMITS = ['25', '50', '100', '200', '500'];
/** Suggestions for the action and outcome filters: the values the API has answered with while this module is loaded. */
const seen = { action: new Set(), outcome: new Set() };

/**
 * The pages seen, per filter: the cursors that led to them, so "Newer" goes back one
 * (the API pages one way only). Kept while the module is loaded; a reload starts again from the newest.
 */
const trail = { filter: '', cursors: [] };

/** The hash's query (the router matches the path only): #/audit?action=call → { action: 'call' }. */
function hashQuery() {
  const at = location.hash.indexOf('?');
  const params = new URLSearchParams(at === -1 ? '' : location.hash.slice(at + 1));
  const out = {};
  for (const key of [...FILTERS, 'cursor']) {
    const value = params.get(key);
    if (value) out[key] = value;
  }
  return out;
}

const filterKey = (values) => query(Object.fromEntries(FILTERS.map((key) => [key, values[key]])));

const OUTCOME_TONE = (outcome) => (outcome === 'ok' ? 'ok' : outcome === 'tool_error' ? 'warn' : 'bad');

export async function render(root, _params, { navigate }) {
  const current = hashQuery();
  const key = filterKey(current);
  if (trail.filter !== key) {
    trail.filter = key;
    trail.cursors = [];
  }
  // Where this page is in the trail: the cursors before it (a reload or a pasted link: none known).
  const cursor = current.cursor ?? '';
  const seenAt = trail.cursors.indexOf(cursor);
  if (seenAt !== -1) trail.cursors = trail.cursors.slice(0, seenAt);
  const before = [...trail.cursors];

  let servers = [];
  let page;
  let failure;
  const [serverList, answer] = await Promise.allSettled([get('/servers'), get(`/audit${query({ ...current })}`)]);
  if (serverList.status === 'fulfilled') servers = serverList.value.servers ?? [];
  if (answer.status === 'fulfilled') {
    page = answer.value;
    for (const entry of page.entries ?? []) {
      seen.action.add(entry.action);
      seen.outcome.add(entry.outcome);
    }
  } else failure = answer.reason;
  if (failure?.status === 403 || failure?.status === 401) {
    replace(root, h('h1', {}, 'Audit log'), errorNotice(failure));
    return;
  }

  // The filter form.
  const list = (id, values) =>
    h(
      'datalist',
      { id },
      values.map((value) => h('option', { value })),
    );
  const inputs = {
    server: h('input', { name: 'server', value: current.server ?? '', list: 'audit-servers', autocomplete: 'off', spellcheck: 'false' }),
    tool: h('input', { name: 'tool', value: current.tool ?? '', autocomplete: 'off', spellcheck: 'false' }),
    actor: h('input', { name: 'actor', value: current.actor ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'key:*' }),
    action: h('input', { name: 'action', value: current.action ?? '', list: 'audit-actions', autocomplete: 'off', spellcheck: 'false' }),
    outcome: h('input', { name: 'outcome', value: current.outcome ?? '', list: 'audit-outcomes', autocomplete: 'off', spellcheck: 'false' }),
    since: h('input', { name: 'since', value: current.since ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: '24h' }),
    limit: h(
      'select',
      { name: 'limit' },
      LIMITS.map((value) => h('option', { value, selected: (current.limit ?? '100') === value }, value)),
    ),
  };
  const fields = {
    server: field('Server', inputs.server),
    tool: field('Tool', inputs.tool),
    actor: field('Actor', inputs.actor, { hint: 'key:<id>, admin-token, local, sql:<role>; a trailing * matches a prefix' }),
    action: field('Action', inputs.action, { hint: 'call, create, update, key.create …' }),
    outcome: field('Outcome', inputs.outcome, { hint: 'ok, tool_error, or an error code' }),
    since: field('Since', inputs.since, { hint: '15m, 24h, 7d, or an ISO time' }),
    limit: field('Per page', inputs.limit),
  };

  function apply(event) {
    event.preventDefault();
    const values = {};
    for (const name of FILTERS) values[name] = inputs[name].value.trim();
    if (values.limit === '100') values.limit = '';
    navigate(`/audit${query(values)}`);
  }
  function go(values) {
    navigate(`/audit${query(values)}`);
  }

  const form = h(
    'form',
    { class: 'panel filters', onsubmit: apply, role: 'search', 'aria-label': 'Filter the audit log' },
    list(
      'audit-servers',
      servers.map((s) => s.id),
    ),
    list('audit-actions', [...seen.action].sort()),
    list('audit-outcomes', [...seen.outcome].sort()),
    h('div', { class: 'filter-grid' }, Object.values(fields)),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      Object.keys(current).length ? h('button', { type: 'button', class: 'secondary', onclick: () => go({}) }, 'Clear') : null,
    ),
  );

  const heading = h('h1', {}, 'Audit log');
  if (failure) {
    const notice = errorNotice(failure);
    showFieldErrors(failure, fields);
    replace(root, heading, form, notice);
    return;
  }

  const filterLink = (name, value, text = value) =>
    link(`/audit${query({ ...current, cursor: '', [name]: value })}`, text, { title: `Only entries with ${name} ${value}` });

  const entries = page.entries ?? [];
  const rows = entries.map((e) => {
    const extra = {};
    for (const name of ['id', 'requestId', 'versionBefore', 'versionAfter', 'argumentsDigest'])
      if (e[name] !== null && e[name] !== undefined) extra[name] = e[name];
    return h(
      'tr',
      {},
      h('td', { class: 'nowrap' }, time(e.at)),
      h(
        'td',
        {},
        e.actorName && e.actorName !== e.actor ? h('div', {}, e.actorName) : null,
        h('div', { class: e.actorName && e.actorName !== e.actor ? 'muted' : null }, filterLink('actor', e.actor, h('code', {}, e.actor))),
      ),
      h('td', {}, filterLink('action', e.action)),
      h('td', {}, e.server ? filterLink('server', e.server) : h('span', { class: 'muted' }, '—')),
      h('td', {}, e.tool ? filterLink('tool', e.tool) : h('span', { class: 'muted' }, '—')),
      h('td', {}, badge(e.outcome, OUTCOME_TONE(e.outcome))),
      h('td', { class: 'num' }, e.durationMs === null || e.durationMs === undefined ? '' : `${e.durationMs} ms`),
      h(
        'td',
        {},
        h(
          'details',
          {},
          h('summary', {}, 'Details', h('span', { class: 'visually-hidden' }, ` of entry ${e.id}`)),
          Object.keys(extra).length
            ? h(
                'dl',
                { class: 'props' },
                Object.entries(extra).map(([name, value]) => [h('dt', {}, name), h('dd', {}, h('code', {}, String(value)))]),
              )
            : null,
          e.arguments !== undefined ? [h('p', {}, h('strong', {}, 'Arguments')), h('pre', {}, JSON.stringify(e.arguments, null, 2))] : null,
          h('pre', {}, JSON.stringify(e.details ?? null, null, 2)),
        ),
      ),
    );
  });

  const heads = ['Time', 'Actor', 'Action', 'Server', 'Tool', 'Outcome', 'Duration', 'Details'];
  const tableEl = entries.length
    ? h(
        'table',
        { class: 'audit' },
        h('caption', { class: 'visually-hidden' }, 'Audit entries, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            heads.map((text) => h('th', { scope: 'col' }, text)),
          ),
        ),
        h('tbody', {}, rows),
      )
    : h('p', { class: 'muted' }, Object.keys(current).length ? 'No entries match these filters.' : 'No audit entries yet.');

  const newer = () => {
    const previous = trail.cursors.pop() ?? '';
    go({ ...current, cursor: previous });
  };
  const older = () => {
    trail.cursors.push(cursor);
    go({ ...current, cursor: page.nextCursor });
  };
  const atNewest = cursor === '';
  const pageNumber = before.length + 1;
  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Audit pages' },
    h('button', { type: 'button', class: 'secondary', disabled: atNewest, onclick: () => go({ ...current, cursor: '' }) }, 'Newest'),
    h('button', { type: 'button', class: 'secondary', disabled: atNewest || before.length === 0, onclick: newer }, '← Newer'),
    h('button', { type: 'button', class: 'secondary', disabled: !page.nextCursor, onclick: older }, 'Older →'),
    h(
      'span',
      { class: 'muted' },
      `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`,
      atNewest ? ', newest first' : before.length ? ` · page ${pageNumber}` : ' · an older page',
    ),
  );

  replace(root, heading, form, tableEl, entries.length ? pager : null);
}
