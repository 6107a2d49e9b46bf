// Create or edit a server (POST /servers, PATCH /servers/:id): each field's error shown beside it, from the API's field paths.
import { get, patch, post } from '../lib/api.js';
import { errorNotice, field, h, replace } from '../lib/dom.js';
import { showFieldErrors } from '../lib/forms.js';

export async function render(root, params, { navigate, link }) {
  const editing = params.server !== undefined;
  const row = editing ? await get(`/servers/${encodeURIComponent(params.server)}`) : {};
  const inputs = {
    id: h('input', { name: 'id', value: row.id ?? '', required: true, readonly: editing, pattern: '[A-Za-z0-9_.\\-]{1,128}' }),
    name: h('input', { name: 'name', value: row.name ?? '' }),
    description: h('textarea', { name: 'description' }, row.description ?? ''),
    port: h('input', { name: 'port', type: 'number', min: 1, max: 65535, value: row.port ?? '' }),
    toolPrefix: h('input', { name: 'toolPrefix', value: row.toolPrefix ?? '' }),
    rateLimit: h('input', { name: 'rateLimit', value: row.rateLimit ?? '', placeholder: '600/min' }),
    enabled: h('input', { name: 'enabled', type: 'checkbox', checked: row.enabled ?? true }),
    compose: h('input', { name: 'compose', type: 'checkbox', checked: row.compose ?? true }),
  };
  const fields = {
    id: field('Id', inputs.id, { hint: 'Letters, digits, _ . - (the path /<id> on the gateway, the scope prefix <id>:list …)' }),
    name: field('Name', inputs.name),
    description: field('Description', inputs.description),
    port: field('Port', inputs.port, { hint: 'Its own listener; empty: served on the gateway only' }),
    toolPrefix: field('Tool prefix', inputs.toolPrefix, { hint: "Prefix of its tools' names on the gateway's composed /mcp (default: the id)" }),
    rateLimit: field('Rate limit', inputs.rateLimit, { hint: 'Calls per caller, e.g. 600/min; empty: none' }),
  };
  const checks = h(
    'fieldset',
    {},
    h('legend', {}, 'Serving'),
    h('label', {}, inputs.enabled, ' Enabled (served)'),
    h('label', {}, inputs.compose, " On the gateway's composed /mcp"),
  );
  const status = h('div');
  const submit = h('button', { type: 'submit' }, editing ? 'Save' : 'Create server');

  async function save(event) {
    event.preventDefault();
    submit.disabled = true;
    replace(status);
    for (const f of Object.values(fields)) f.setError(null);
    const body = {
      name: inputs.name.value || undefined,
      description: inputs.description.value,
      port: inputs.port.value === '' ? null : Number(inputs.port.value),
      toolPrefix: inputs.toolPrefix.value === '' ? null : inputs.toolPrefix.value,
      rateLimit: inputs.rateLimit.value === '' ? null : inputs.rateLimit.value,
      enabled: inputs.enabled.checked,
      compose: inputs.compose.checked,
    };
    if (!editing) body.id = inputs.id.value;
    try {
      const saved = editing ? await patch(`/servers/${encodeURIComponent(row.id)}`, body) : await post('/servers', body);
      if (saved?.id ?? body.id) navigate('/servers');
    } catch (error) {
      replace(status, errorNotice(error));
      showFieldErrors(error, fields);
    } finally {
      submit.disabled = false;
    }
  }

  replace(
    root,
    h('h1', {}, editing ? `Edit server ${row.id}` : 'New server'),
    status,
    h(
      'form',
      { class: 'panel', onsubmit: save, novalidate: true },
      Object.values(fields),
      checks,
      h('div', { class: 'actions' }, submit, link('/servers', 'Cancel', { class: 'button secondary' })),
    ),
  );
  (editing ? inputs.name : inputs.id).focus();
}
