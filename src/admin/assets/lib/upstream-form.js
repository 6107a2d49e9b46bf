// The add/edit form of an upstream MCP server (pages/upstreams.js): its fields, the header and env lines parsed,
// the POST body (or the PATCH of only what changed) and its save. Header and env values are ${secret:NAME} references.
import { patch, post } from './api.js';
import { errorNotice, field, h, replace } from './dom.js';
import { showFieldErrors } from './forms.js';

const TUNING = [
  { key: 'timeoutMs', label: 'Call timeout (ms)', min: 100, max: 600000 },
  { key: 'healthIntervalMs', label: 'Health check interval (ms)', min: 100, max: 3600000 },
  { key: 'maxRetries', label: 'Retries', min: 0, max: 10 },
  { key: 'failureThreshold', label: 'Breaker: failures to open', min: 1, max: 1000 },
  { key: 'recoveryTimeoutMs', label: 'Breaker: recovery timeout (ms)', min: 100, max: 3600000 },
  { key: 'halfOpenMaxCalls', label: 'Breaker: half-open probe calls', min: 1, max: 100 },
];

const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** "Name: value" lines (or NAME=value for env) → an object; { error } names the first bad line. */
function parsePairs(text, separator) {
  const out = {};
  for (const [index, line] of lines(text).entries()) {
    const at = line.indexOf(separator);
    const name = at > 0 ? line.slice(0, at).trim() : '';
    if (!name) return { error: `line ${index + 1}: write Name${separator === ':' ? ': ' : '='}\${secret:REF}` };
    out[name] = line.slice(at + 1).trim();
  }
  return { value: out };
}

const pairsText = (object, separator) =>
  Object.entries(object ?? {})
    .map(([name, value]) => `${name}${separator}${value}`)
    .join('\n');

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The text of a secret reference, ${secret:NAME} (written so, it is no template placeholder). */
const ref = (name) => `\${secret:${name}}`;

/**
 * The form adding an upstream (`r` undefined) or editing upstream `r`; `servers` (GET /servers) fill its server select.
 * After a save it awaits onSaved(message) (an error it throws shows in the form); Cancel calls onCancel().
 * Returns { node, focus() }.
 */
export function upstreamForm(r, servers, { onSaved, onCancel }) {
  const inputs = {
    id: h('input', { name: 'id', value: r?.id ?? '', required: true, readonly: Boolean(r), autocomplete: 'off', spellcheck: 'false' }),
    server: h(
      'select',
      { name: 'server', required: true, disabled: Boolean(r) },
      r ? null : h('option', { value: '' }, 'Choose a server…'),
      servers.map((s) => h('option', { value: s.id, selected: r?.server === s.id }, s.name && s.name !== s.id ? `${s.id} — ${s.name}` : s.id)),
      r && !servers.some((s) => s.id === r.server) ? h('option', { value: r.server, selected: true }, r.server) : null,
    ),
    description: h('textarea', { name: 'description', maxlength: 2000 }, r?.description ?? ''),
    transport: h(
      'select',
      { name: 'transport' },
      ['streamable-http', 'stdio'].map((value) => h('option', { value, selected: (r?.transport ?? 'streamable-http') === value }, value)),
    ),
    url: h('input', {
      name: 'url',
      type: 'url',
      class: 'code',
      value: r?.url ?? '',
      placeholder: 'http://127.0.0.1:8080/mcp',
      autocomplete: 'off',
      spellcheck: 'false',
    }),
    headers: h(
      'textarea',
      { name: 'headers', class: 'code short', spellcheck: 'false', placeholder: `Authorization: ${ref('GITHUB_TOKEN')}` },
      pairsText(r?.headers, ': '),
    ),
    command: h('input', { name: 'command', class: 'code', value: r?.command ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'npx' }),
    args: h('textarea', { name: 'args', class: 'code short', spellcheck: 'false' }, (r?.args ?? []).join('\n')),
    env: h('textarea', { name: 'env', class: 'code short', spellcheck: 'false', placeholder: `API_TOKEN=${ref('API_TOKEN')}` }, pairsText(r?.env, '=')),
    prefix: h('input', { name: 'prefix', value: r?.prefix ?? '', autocomplete: 'off', spellcheck: 'false' }),
    include: h('textarea', { name: 'include', class: 'code short', spellcheck: 'false', placeholder: 'get_*' }, (r?.include ?? []).join('\n')),
    exclude: h('textarea', { name: 'exclude', class: 'code short', spellcheck: 'false', placeholder: '*_delete' }, (r?.exclude ?? []).join('\n')),
    priority: h('input', { name: 'priority', type: 'number', min: -1000, max: 1000, value: r?.priority ?? '' }),
    enabled: h('input', { name: 'enabled', type: 'checkbox', checked: r?.enabled ?? true }),
  };
  for (const t of TUNING) inputs[t.key] = h('input', { name: t.key, type: 'number', min: t.min, max: t.max, value: r?.[t.key] ?? '' });
  const empty = r ? '' : ' Empty: the default.';
  const fields = {
    id: field('Id', inputs.id, { hint: '1–64 of a–z, 0–9, _ and -, starting with a letter or digit' }),
    server: field('Server', inputs.server, { hint: r ? 'Cannot change: add a new upstream for another server.' : 'The server whose tools it adds to' }),
    description: field('Description', inputs.description),
    transport: field('Transport', inputs.transport),
    url: field('URL', inputs.url, { hint: 'The MCP endpoint, an absolute http:// or https:// URL' }),
    headers: field('Headers', inputs.headers, {
      hint: `One per line: Name: ${ref('REF')}. A credential belongs in a secret reference (its value comes from TOOLPORT_SECRET_REF), never here.`,
    }),
    command: field('Command', inputs.command, { hint: 'The program to start (stdio)' }),
    args: field('Arguments', inputs.args, { hint: 'One per line' }),
    env: field('Environment', inputs.env, { hint: `One per line: NAME=${ref('REF')}` }),
    prefix: field('Tool prefix', inputs.prefix, {
      hint: `Its tools appear as <prefix>_<tool>; 1–64 of A–Z, a–z, 0–9, _ and -.${r ? '' : ' Empty: the id.'}`,
    }),
    include: field('Include (globs)', inputs.include, { hint: 'One per line; empty: every tool' }),
    exclude: field('Exclude (globs)', inputs.exclude, { hint: 'One per line' }),
    priority: field('Priority', inputs.priority, { hint: `-1000 to 1000: which upstream wins a name two of them have.${empty}` }),
  };
  for (const t of TUNING) fields[t.key] = field(t.label, inputs[t.key], { hint: `${t.min}–${t.max}.${empty}` });
  const httpPart = h('div', {}, fields.url, fields.headers);
  const stdioPart = h('div', {}, fields.command, fields.args, fields.env);
  const showTransport = () => {
    httpPart.hidden = inputs.transport.value !== 'streamable-http';
    stdioPart.hidden = inputs.transport.value !== 'stdio';
  };
  inputs.transport.addEventListener('change', showTransport);
  showTransport();
  const formStatus = h('div');
  const submit = h('button', { type: 'submit' }, r ? 'Save' : 'Add upstream');

  /** The body, or undefined after putting the client-side errors beside their fields. */
  function body() {
    const out = {};
    let ok = true;
    if (!r) {
      out.id = inputs.id.value.trim();
      out.server = inputs.server.value;
    }
    out.description = inputs.description.value;
    out.transport = inputs.transport.value;
    if (out.transport === 'streamable-http') {
      out.url = inputs.url.value.trim();
      const headers = parsePairs(inputs.headers.value, ':');
      if (headers.error) {
        fields.headers.setError(headers.error);
        ok = false;
      } else out.headers = headers.value;
    } else {
      out.command = inputs.command.value.trim();
      out.args = inputs.args.value.split('\n').filter((line) => line.trim() !== '');
      const env = parsePairs(inputs.env.value, '=');
      if (env.error) {
        fields.env.setError(env.error);
        ok = false;
      } else out.env = env.value;
    }
    if (inputs.prefix.value.trim()) out.prefix = inputs.prefix.value.trim();
    out.include = lines(inputs.include.value);
    out.exclude = lines(inputs.exclude.value);
    for (const key of ['priority', ...TUNING.map((t) => t.key)]) if (inputs[key].value !== '') out[key] = Number(inputs[key].value);
    out.enabled = inputs.enabled.checked;
    if (!ok) return undefined;
    if (!r) {
      for (const key of ['description', 'url', 'command']) if (out[key] === '') delete out[key];
      for (const key of ['headers', 'env', 'args', 'include', 'exclude']) if (sameJson(out[key], Array.isArray(out[key]) ? [] : {})) delete out[key];
      return out;
    }
    for (const [key, value] of Object.entries(out)) if (sameJson(r[key] ?? (Array.isArray(value) ? [] : null), value)) delete out[key];
    return out;
  }

  async function save(event) {
    event.preventDefault();
    replace(formStatus);
    for (const f of Object.values(fields)) f.setError(null);
    const changes = body();
    if (!changes) {
      replace(formStatus, errorNotice({ code: 'invalid', message: 'Fix the fields marked below.' }));
      return;
    }
    submit.disabled = true;
    try {
      if (r) {
        if (Object.keys(changes).length) await patch(`/upstreams/${encodeURIComponent(r.id)}`, changes);
        await onSaved(Object.keys(changes).length ? `Upstream ${r.id} saved.` : `Nothing changed in ${r.id}.`);
      } else {
        const created = await post('/upstreams', changes);
        await onSaved(`Upstream ${created.id} added.`);
      }
    } catch (error) {
      replace(formStatus, errorNotice(error));
      showFieldErrors(error, fields);
    } finally {
      submit.disabled = false;
    }
  }

  const node = h(
    'form',
    { class: 'panel', onsubmit: save, novalidate: true, 'aria-labelledby': 'up-form-title' },
    h('h2', { id: 'up-form-title' }, r ? `Edit upstream ${r.id}` : 'Add an upstream MCP server'),
    formStatus,
    h(
      'div',
      { class: 'grid2' },
      h('div', {}, fields.id, fields.server, fields.description, fields.transport, httpPart, stdioPart),
      h('div', {}, fields.prefix, fields.include, fields.exclude, fields.priority),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Timeouts, retries and breaker'),
      h(
        'div',
        { class: 'grid2' },
        TUNING.map((t) => fields[t.key]),
      ),
    ),
    h('fieldset', {}, h('legend', {}, 'State'), h('label', {}, inputs.enabled, ' Enabled (connect and serve its tools)')),
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: onCancel }, 'Cancel')),
  );
  return { node, focus: () => (r ? inputs.description : inputs.id).focus() };
}
