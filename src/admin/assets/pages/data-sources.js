// Data sources (admin only): the databases sql tools query (GET /data-sources); add (POST), edit (PATCH: only what changed), delete (DELETE).
// A URL is a ${secret:NAME} reference; the API never returns a resolved secret, and this page shows only what the API returns.
import { del, get, patch, post } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, field, h, replace, sortRows, successNotice, table, time } from '../lib/dom.js';
import { runAction, showFieldErrors } from '../lib/forms.js';

const NUMBERS = ['poolSize', 'statementTimeoutMs', 'rowLimit'];
/** What the built-in source lets change (the API refuses the rest). */
const BUILT_IN_FIELDS = ['description', 'enabled', 'rowLimit', 'statementTimeoutMs'];

/** The text of a secret reference, ${secret:NAME} (written so, it is no template placeholder). */
const ref = (name) => `\${secret:${name}}`;

export async function render(root) {
  let rows;
  try {
    rows = (await get('/data-sources')).dataSources ?? [];
  } catch (error) {
    replace(root, h('h1', {}, 'Data sources'), errorNotice(error));
    return;
  }

  let sortKey = 'id';
  let sortDir = 'asc';
  let editing = null;
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  const formArea = h('div');

  const columns = [
    {
      key: 'id',
      label: 'Source',
      sort: (r) => r.id,
      render: (r) =>
        h(
          'div',
          {},
          h('strong', {}, h('code', {}, r.id)),
          r.builtIn ? [' ', badge('built-in', 'ok')] : null,
          r.description ? h('div', { class: 'muted' }, r.description) : null,
        ),
    },
    {
      key: 'url',
      label: 'URL reference',
      sort: (r) => r.url ?? '',
      render: (r) =>
        h(
          'div',
          {},
          r.url ? h('code', {}, r.url) : h('span', { class: 'muted' }, 'none (built-in)'),
          r.secret
            ? h(
                'div',
                {},
                r.secretSet ? badge('secret set', 'ok') : badge('secret not set', 'bad'),
                ' ',
                h('span', { class: 'muted' }, h('code', {}, `TOOLPORT_SECRET_${r.secret}`)),
              )
            : null,
        ),
    },
    { key: 'kind', label: 'Kind', sort: (r) => r.kind, render: (r) => r.kind },
    { key: 'access', label: 'Access', sort: (r) => r.access, render: (r) => r.access.replace('_', ' ') },
    {
      key: 'limits',
      label: 'Pool / timeout / rows',
      render: (r) =>
        h(
          'ul',
          { class: 'plain' },
          h('li', {}, `pool ${r.poolSize}`),
          h('li', {}, `timeout ${r.statementTimeoutMs} ms`),
          h('li', {}, `at most ${r.rowLimit} rows`),
        ),
    },
    {
      key: 'state',
      label: 'State',
      sort: (r) => (r.enabled ? (r.available === false ? 1 : 0) : 2),
      render: (r) =>
        h(
          'div',
          {},
          r.enabled ? badge('enabled', 'ok') : badge('disabled', 'warn'),
          r.available === undefined ? null : [' ', r.available ? badge('available', 'ok') : badge('unavailable', 'bad')],
          r.reason ? h('div', { class: 'muted' }, r.reason) : null,
        ),
    },
    { key: 'updated', label: 'Updated', sort: (r) => r.updatedAt, render: (r) => time(r.updatedAt) },
    {
      key: 'actions',
      label: 'Actions',
      render: (r) =>
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => openForm(r), 'aria-label': `Edit ${r.id}` }, 'Edit'),
          h(
            'button',
            { type: 'button', class: 'secondary', onclick: () => toggle(r), 'aria-label': `${r.enabled ? 'Disable' : 'Enable'} ${r.id}` },
            r.enabled ? 'Disable' : 'Enable',
          ),
          r.builtIn ? null : h('button', { type: 'button', class: 'danger', onclick: () => remove(r), 'aria-label': `Delete ${r.id}` }, 'Delete'),
        ),
    },
  ];

  function draw() {
    replace(
      list,
      rows.length
        ? table(columns, sortRows(rows, columns, sortKey, sortDir), { caption: 'Data sources', sortKey, sortDir, onSort })
        : h('p', { class: 'muted' }, 'No data sources.'),
    );
  }
  function onSort(key) {
    sortDir = sortKey === key && sortDir === 'asc' ? 'desc' : 'asc';
    sortKey = key;
    draw();
  }
  async function refresh() {
    try {
      rows = (await get('/data-sources')).dataSources ?? [];
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }
  function toggle(row) {
    return runAction(
      status,
      async () => {
        await patch(`/data-sources/${encodeURIComponent(row.id)}`, { enabled: !row.enabled });
        await refresh();
      },
      `Data source ${row.id} ${row.enabled ? 'disabled' : 'enabled'}.`,
    );
  }
  async function remove(row) {
    if (!(await confirmDialog(`Delete data source ${row.id}?`))) return;
    await runAction(
      status,
      async () => {
        await del(`/data-sources/${encodeURIComponent(row.id)}`);
        if (editing?.id === row.id) closeForm();
        await refresh();
      },
      `Data source ${row.id} deleted.`,
    );
  }

  function closeForm() {
    editing = null;
    replace(formArea);
    addButton.hidden = false;
  }

  /** The add form (row undefined) or the edit form of a row. */
  function openForm(row) {
    editing = row ?? null;
    addButton.hidden = true;
    replace(status);
    const builtIn = Boolean(row?.builtIn);
    const locked = (name) => builtIn && !BUILT_IN_FIELDS.includes(name);
    const inputs = {
      id: h('input', { name: 'id', value: row?.id ?? '', required: true, readonly: Boolean(row), pattern: '[a-z0-9][a-z0-9_\\-]{0,63}', autocomplete: 'off' }),
      url: h('input', {
        name: 'url',
        class: 'code',
        value: row?.url ?? '',
        required: !builtIn,
        disabled: builtIn,
        placeholder: `${ref('ANALYTICS_DB_URL')}`,
        autocomplete: 'off',
        spellcheck: 'false',
      }),
      description: h('textarea', { name: 'description', maxlength: 2000 }, row?.description ?? ''),
      access: h(
        'select',
        { name: 'access', disabled: locked('access') },
        ['read_only', 'read_write'].map((value) => h('option', { value, selected: (row?.access ?? 'read_only') === value }, value.replace('_', ' '))),
      ),
      poolSize: h('input', { name: 'poolSize', type: 'number', min: 1, max: 100, value: row?.poolSize ?? '', disabled: locked('poolSize') }),
      statementTimeoutMs: h('input', { name: 'statementTimeoutMs', type: 'number', min: 1, max: 3600000, value: row?.statementTimeoutMs ?? '' }),
      rowLimit: h('input', { name: 'rowLimit', type: 'number', min: 1, max: 100000, value: row?.rowLimit ?? '' }),
      enabled: h('input', { name: 'enabled', type: 'checkbox', checked: row?.enabled ?? true }),
    };
    const empty = row ? '' : ' Empty: the server’s default.';
    const fields = {
      id: field('Id', inputs.id, { hint: '1–64 of a–z, 0–9, _ and -, starting with a letter or digit (what sql tools name in their config)' }),
      url: field('Connection URL (a secret reference)', inputs.url, {
        hint: builtIn
          ? "The built-in source reads Toolport's own database; its URL cannot change."
          : `Write a reference such as ${ref('ANALYTICS_DB_URL')}, never the URL itself: each Toolport process reads the postgres:// URL from its environment variable TOOLPORT_SECRET_ANALYTICS_DB_URL. The secret’s value is never stored or shown.`,
      }),
      description: field('Description', inputs.description),
      access: field('Access', inputs.access, { hint: 'read only: statements run in a read-only transaction' }),
      poolSize: field('Pool size', inputs.poolSize, { hint: `Connections per process, 1–100.${empty}` }),
      statementTimeoutMs: field('Statement timeout (ms)', inputs.statementTimeoutMs, { hint: `1–3600000.${empty}` }),
      rowLimit: field('Row limit', inputs.rowLimit, { hint: `Most rows a call returns, 1–100000.${empty}` }),
    };
    const formStatus = h('div');
    const submit = h('button', { type: 'submit' }, row ? 'Save' : 'Add data source');

    function body() {
      const out = {};
      if (!row) out.id = inputs.id.value.trim();
      if (!builtIn) out.url = inputs.url.value.trim();
      out.description = inputs.description.value;
      if (!locked('access')) out.access = inputs.access.value;
      for (const name of NUMBERS) {
        if (locked(name) || inputs[name].value === '') continue;
        out[name] = Number(inputs[name].value);
      }
      out.enabled = inputs.enabled.checked;
      if (!row) {
        if (out.description === '') delete out.description;
        return out;
      }
      // Editing: send what changed only.
      for (const [key, value] of Object.entries(out)) if (row[key] === value) delete out[key];
      return out;
    }

    async function save(event) {
      event.preventDefault();
      submit.disabled = true;
      replace(formStatus);
      for (const f of Object.values(fields)) f.setError(null);
      const changes = body();
      try {
        if (row) {
          if (Object.keys(changes).length) await patch(`/data-sources/${encodeURIComponent(row.id)}`, changes);
          closeForm();
          await refresh();
          replace(status, successNotice(Object.keys(changes).length ? `Data source ${row.id} saved.` : `Nothing changed in ${row.id}.`));
        } else {
          const created = await post('/data-sources', changes);
          closeForm();
          await refresh();
          replace(status, successNotice(`Data source ${created.id} added.`));
        }
      } catch (error) {
        replace(formStatus, errorNotice(error));
        showFieldErrors(error, fields);
      } finally {
        submit.disabled = false;
      }
    }

    replace(
      formArea,
      h(
        'form',
        { class: 'panel', onsubmit: save, novalidate: true, 'aria-labelledby': 'ds-form-title' },
        h('h2', { id: 'ds-form-title' }, row ? `Edit data source ${row.id}` : 'Add a data source'),
        formStatus,
        h(
          'div',
          { class: 'grid2' },
          h('div', {}, fields.id, fields.url, fields.description),
          h('div', {}, fields.access, fields.poolSize, fields.statementTimeoutMs, fields.rowLimit),
        ),
        h('fieldset', {}, h('legend', {}, 'State'), h('label', {}, inputs.enabled, ' Enabled (sql tools may use it)')),
        h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: closeForm }, 'Cancel')),
      ),
    );
    (row ? inputs.description : inputs.id).focus();
  }

  const addButton = h('button', { type: 'button', onclick: () => openForm() }, 'Add data source');
  replace(root, h('h1', {}, 'Data sources'), h('div', { class: 'toolbar' }, addButton), status, formArea, list);
  draw();
}
