// API keys (admin only): the list (GET /keys, never a secret), create one (POST /keys: its secret shown once, here, and kept nowhere else), revoke (DELETE /keys/:id).
import { del, get, post } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, field, h, replace, sortRows, successNotice, table, time } from '../lib/dom.js';
import { runAction, showFieldErrors } from '../lib/forms.js';

const STATUS_TONE = { active: 'ok', expired: 'warn', revoked: 'bad' };

/** Lines of a textarea, trimmed, empty ones left out. */
const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

export async function render(root) {
  let rows;
  try {
    rows = (await get('/keys')).keys ?? [];
  } catch (error) {
    replace(root, h('h1', {}, 'API keys'), errorNotice(error));
    return;
  }

  let sortKey = 'created';
  let sortDir = 'desc';
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  // The one place a new key's secret lives: this box's input, until "Done" or leaving the page.
  const secretBox = h('div');

  const columns = [
    {
      key: 'name',
      label: 'Name',
      sort: (r) => r.name.toLowerCase(),
      render: (r) => h('div', {}, h('strong', {}, r.name), h('div', { class: 'muted' }, h('code', {}, r.id))),
    },
    { key: 'prefix', label: 'Prefix', sort: (r) => r.prefix, render: (r) => h('code', {}, r.prefix) },
    {
      key: 'scopes',
      label: 'Scopes',
      render: (r) =>
        h(
          'ul',
          { class: 'plain' },
          r.scopes.map((s) => h('li', {}, h('code', {}, s))),
        ),
    },
    { key: 'rate', label: 'Rate limit', sort: (r) => r.rateLimit ?? '', render: (r) => r.rateLimit ?? h('span', { class: 'muted' }, 'none') },
    { key: 'status', label: 'Status', sort: (r) => r.status, render: (r) => badge(r.status, STATUS_TONE[r.status] ?? 'warn') },
    { key: 'created', label: 'Created', sort: (r) => r.createdAt, render: (r) => time(r.createdAt) },
    {
      key: 'used',
      label: 'Last used',
      sort: (r) => r.lastUsedAt ?? '',
      render: (r) => (r.lastUsedAt ? time(r.lastUsedAt) : h('span', { class: 'muted' }, 'never')),
    },
    {
      key: 'expires',
      label: 'Expires',
      sort: (r) => r.expiresAt ?? '9999',
      render: (r) => (r.expiresAt ? time(r.expiresAt) : h('span', { class: 'muted' }, 'never')),
    },
    { key: 'revoked', label: 'Revoked', sort: (r) => r.revokedAt ?? '', render: (r) => (r.revokedAt ? time(r.revokedAt) : '') },
    {
      key: 'actions',
      label: 'Actions',
      render: (r) =>
        r.status === 'revoked'
          ? ''
          : h('button', { type: 'button', class: 'danger', onclick: () => revoke(r), 'aria-label': `Revoke key ${r.name} (${r.prefix})` }, 'Revoke'),
    },
  ];

  function draw() {
    replace(
      list,
      rows.length
        ? table(columns, sortRows(rows, columns, sortKey, sortDir), { caption: 'API keys', sortKey, sortDir, onSort })
        : h('p', { class: 'muted' }, 'No API keys yet.'),
    );
  }
  function onSort(key) {
    sortDir = sortKey === key && sortDir === 'asc' ? 'desc' : 'asc';
    sortKey = key;
    draw();
  }
  async function refresh() {
    try {
      rows = (await get('/keys')).keys ?? [];
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function revoke(row) {
    if (!(await confirmDialog(`Revoke key ${row.name} (${row.prefix})? Callers using it are refused at once.`, 'Revoke'))) return;
    await runAction(
      status,
      async () => {
        await del(`/keys/${encodeURIComponent(row.id)}`);
        await refresh();
      },
      `Key ${row.name} (${row.prefix}) revoked.`,
    );
  }

  // The create form.
  const inputs = {
    name: h('input', { name: 'name', required: true, maxlength: 128, autocomplete: 'off' }),
    scopes: h('textarea', { name: 'scopes', class: 'code short', required: true, spellcheck: 'false', placeholder: 'finance:call\nutility:list' }),
    rate: h('input', { name: 'rate', placeholder: '600/min', autocomplete: 'off' }),
    expiresIn: h('input', { name: 'expiresIn', placeholder: '30d', autocomplete: 'off' }),
  };
  const fields = {
    name: field('Name', inputs.name, { hint: 'Who or what uses it (shown in the audit log)' }),
    scopes: field('Scopes', inputs.scopes, {
      hint: 'One per line: <server|*>:<list|call|write>[:<tool-glob>], or admin (e.g. finance:call, *:list, utility:call:get_*)',
    }),
    rate: field('Rate limit (optional)', inputs.rate, { hint: 'Requests per unit, e.g. 600/min, 10/s, 5000/hour; empty: none' }),
    expiresIn: field('Expires in (optional)', inputs.expiresIn, { hint: 'A number and a unit s, m, h, d or w, e.g. 30d; empty: never' }),
  };
  const formStatus = h('div');
  const submit = h('button', { type: 'submit' }, 'Create key');

  function clearSecret() {
    const input = secretBox.querySelector('input');
    if (input) input.value = '';
    replace(secretBox);
  }

  function showSecret(created) {
    const secret = h('input', {
      class: 'code',
      readonly: true,
      value: created.key,
      autocomplete: 'off',
      spellcheck: 'false',
      onfocus: (event) => event.target.select(),
    });
    const copied = h('span', { class: 'muted', role: 'status' });
    const copy = h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(secret.value);
            copied.textContent = 'Copied to the clipboard.';
          } catch {
            secret.focus();
            secret.select();
            copied.textContent = 'The browser refused the clipboard: the key is selected, press Ctrl+C (⌘C).';
          }
        },
      },
      'Copy',
    );
    replace(
      secretBox,
      h(
        'section',
        { class: 'panel secret-box', 'aria-labelledby': 'new-key-title' },
        h('h2', { id: 'new-key-title' }, `New key “${created.name}” (${created.prefix})`),
        h(
          'p',
          { class: 'notice warn', role: 'alert' },
          h('strong', {}, 'Copy this key now: it will not be shown again. '),
          'Toolport keeps only its hash; if it is lost, revoke it and create another.',
        ),
        field('The new API key', secret),
        h('div', { class: 'actions' }, copy, h('button', { type: 'button', class: 'secondary', onclick: clearSecret }, 'Done: hide the key'), copied),
      ),
    );
    secret.focus();
  }

  async function create(event) {
    event.preventDefault();
    submit.disabled = true;
    replace(formStatus);
    clearSecret();
    for (const f of Object.values(fields)) f.setError(null);
    const body = { name: inputs.name.value.trim(), scopes: lines(inputs.scopes.value) };
    if (inputs.rate.value.trim()) body.rate = inputs.rate.value.trim();
    if (inputs.expiresIn.value.trim()) body.expiresIn = inputs.expiresIn.value.trim();
    try {
      const created = await post('/keys', body);
      for (const input of Object.values(inputs)) input.value = '';
      replace(status, successNotice(`Key ${created.name} (${created.prefix}) created.`));
      showSecret(created);
      await refresh();
    } catch (error) {
      replace(formStatus, errorNotice(error));
      showFieldErrors(error, fields);
    } finally {
      submit.disabled = false;
    }
  }

  replace(
    root,
    h('h1', {}, 'API keys'),
    status,
    secretBox,
    h(
      'form',
      { class: 'panel', onsubmit: create, novalidate: true, 'aria-labelledby': 'create-key-title' },
      h('h2', { id: 'create-key-title' }, 'Create a key'),
      formStatus,
      h('div', { class: 'grid2' }, h('div', {}, fields.name, fields.scopes), h('div', {}, fields.rate, fields.expiresIn)),
      h('div', { class: 'actions' }, submit),
    ),
    h('h2', {}, 'Keys'),
    list,
  );
  draw();
  return clearSecret;
}
