// Shared by the tool pages: the tab bar of one tool, writes with If-Match, a JSON editor, and a form generated from a handler kind's config JSON Schema.
import { request } from './api.js';
import { field, h, replace, uid } from './dom.js';
import { parseJson } from './forms.js';
import { can } from './session.js';

/** The page path of a tool: toolPath('finance', 'get_time', 'edit') → '/servers/finance/tools/get_time/edit'. */
export function toolPath(server, tool, suffix = '') {
  const base = `/servers/${encodeURIComponent(server)}/tools/${encodeURIComponent(tool)}`;
  return suffix ? `${base}/${suffix}` : base;
}

/**
 * The tab bar of one tool's pages: toolTabs('finance', 'get_time', 'overview' | 'edit' | 'try' | 'history').
 * `tool` is the tool's name (a tool object with .name works too). Edit shows for writers, Try it for callers.
 */
export function toolTabs(server, tool, current) {
  const name = typeof tool === 'string' ? tool : tool?.name;
  const items = [
    { key: 'overview', label: 'Overview', suffix: '' },
    can('write', server) ? { key: 'edit', label: 'Edit', suffix: 'edit' } : null,
    can('call', server) ? { key: 'try', label: 'Try it', suffix: 'try' } : null,
    { key: 'history', label: 'History', suffix: 'history' },
  ].filter(Boolean);
  return h(
    'nav',
    { class: 'tabs', 'aria-label': `Tool ${name}` },
    items.map((item) => h('a', { href: `#${toolPath(server, name, item.suffix)}`, 'aria-current': item.key === current ? 'page' : null }, item.label)),
  );
}

/**
 * A write to a server's routes where `ifMatch` (a tool's version) becomes If-Match, so it lands
 * only over the version that was read (412 otherwise). lib/api.js's request otherwise.
 */
export function send(method, path, body, { server, ifMatch } = {}) {
  const headers = ifMatch !== undefined && ifMatch !== null ? { 'if-match': `"${ifMatch}"` } : undefined;
  return request(method, path, body, { server, headers });
}

/** A tool's path under its server: '/tools/<name>'. */
export const toolApi = (name) => `/tools/${encodeURIComponent(name)}`;

/** Shorten a text for a table cell. */
export function shorten(text, max = 110) {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1).trimEnd()}…` : value;
}

/** JSON for people: two-space indent. */
export const pretty = (value) => JSON.stringify(value ?? null, null, 2);

// ---- JSON Pointer paths ------------------------------------------------------------------------

const escapeKey = (key) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const join = (path, key) => `${path}/${escapeKey(key)}`;

/** Whether pointer `prefix` is `path` or one of its ancestors. */
function covers(prefix, path) {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** A list of server errors (path + message) under an editor; show(details) fills it, show([]) empties it. */
function errorList(id) {
  const list = h('ul', { class: 'error error-list', id, hidden: true });
  list.show = (details) => {
    replace(
      list,
      details.map((d) => h('li', {}, h('code', {}, d.path || '/'), ' ', d.message)),
    );
    list.hidden = details.length === 0;
  };
  return list;
}

/** field() with a list of server errors under the control (tied to it with aria-describedby). */
function fieldWithList(labelText, control, options) {
  const wrap = field(labelText, control, options);
  const list = errorList(`${control.id}-errors`);
  wrap.append(list);
  const setError = wrap.setError;
  const describe = () => {
    const ids = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== list.id);
    if (!list.hidden) ids.push(list.id);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
    else control.removeAttribute('aria-describedby');
  };
  wrap.setError = (text) => {
    setError(text);
    if (!list.hidden) wrap.classList.add('invalid');
    describe();
  };
  wrap.setDetails = (details) => {
    list.show(details);
    wrap.classList.toggle('invalid', details.length > 0 || Boolean(control.getAttribute('aria-invalid')));
    if (details.length) control.setAttribute('aria-invalid', 'true');
    describe();
  };
  return wrap;
}

/**
 * A JSON editor: a labelled <textarea class="code">, its parse error shown live as you type,
 * and the server's errors (details with their paths) listed under it.
 * Returns { wrap, textarea, read() → { value } | { error }, setDetails(details), setText(text), onInput(fn) }.
 */
export function jsonEditor(labelText, value, { hint, rows = 14, small = false, name } = {}) {
  const textarea = h('textarea', { class: small ? 'code small' : 'code', rows, spellcheck: 'false', name, autocomplete: 'off' });
  textarea.value = value === undefined ? '' : typeof value === 'string' ? value : pretty(value);
  const wrap = fieldWithList(labelText, textarea, { hint });
  const listeners = [];
  const check = () => {
    const text = textarea.value.trim();
    if (text === '') {
      wrap.setError(null);
      return;
    }
    const parsed = parseJson(text);
    wrap.setError(parsed.error ? `Not valid JSON: ${parsed.error}` : null);
  };
  textarea.addEventListener('input', () => {
    wrap.setDetails([]);
    check();
    for (const fn of listeners) fn();
  });
  check();
  return {
    wrap,
    textarea,
    read() {
      const text = textarea.value.trim();
      if (text === '') return { empty: true, value: undefined };
      return parseJson(text);
    },
    setDetails: (details) => wrap.setDetails(details),
    setText(text) {
      textarea.value = text;
      wrap.setDetails([]);
      check();
    },
    onInput: (fn) => listeners.push(fn),
  };
}

// ---- A form from a JSON Schema ---------------------------------------------------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeOf = (schema) => (Array.isArray(schema?.type) ? schema.type.find((t) => t !== 'null') : schema?.type);

/** How a property of a config schema is edited: a form control, or (kind 'json') a JSON textarea of its own. */
function kindOf(schema) {
  if (!isObject(schema)) return 'json';
  if (schema.anyOf || schema.oneOf || schema.allOf || schema.$ref) return 'json';
  const type = typeOf(schema);
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return 'enum';
  if (type === 'string') return 'string';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'array' && typeOf(schema.items) === 'string' && !schema.items.enum) return 'lines';
  if (type === 'object') {
    const props = schema.properties && Object.keys(schema.properties).length > 0;
    const extra = schema.additionalProperties;
    if (!props && isObject(extra) && typeOf(extra) === 'string' && kindOf(extra) === 'string') return 'pairs';
    if (props && (extra === false || extra === undefined)) return 'object';
  }
  return 'json';
}

/** Whether every property of the schema can be a form control (else the whole config falls back to JSON). */
export function formCanExpress(schema) {
  return kindOf(schema) === 'object';
}

function hintOf(schema, extra) {
  const parts = [];
  if (schema?.description) parts.push(schema.description);
  if (
    schema?.default !== undefined &&
    !(isObject(schema.default) && Object.keys(schema.default).length === 0) &&
    !(Array.isArray(schema.default) && !schema.default.length)
  )
    parts.push(`Default: ${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)}.`);
  if (extra) parts.push(extra);
  return parts.join(' ') || undefined;
}

/**
 * Build the editor of one property. Returns { node, read() → value | undefined (left out),
 * problems (client-side errors pushed as { path, message }), targets: [[path, wrap]] }.
 */
function build(schema, value, path, key, required, targets) {
  const kind = kindOf(schema);
  const label = required ? `${key} (required)` : key;
  const common = { name: path, 'aria-required': required ? 'true' : null };

  if (kind === 'object') {
    const children = Object.entries(schema.properties ?? {}).map(([childKey, childSchema]) =>
      build(childSchema, isObject(value) ? value[childKey] : undefined, join(path, childKey), childKey, (schema.required ?? []).includes(childKey), targets),
    );
    const known = new Set(Object.keys(schema.properties ?? {}));
    const node = h(
      'fieldset',
      { class: 'config-group' },
      h('legend', {}, label),
      schema.description ? h('p', { class: 'hint' }, schema.description) : null,
      children.map((c) => c.node),
    );
    targets.push([path, { setError: (text) => setGroupError(node, text) }]);
    return {
      node,
      read(problems) {
        const out = {};
        // keys the schema does not name are kept as they were (the server says whether they are allowed)
        if (isObject(value)) for (const [k, v] of Object.entries(value)) if (!known.has(k)) out[k] = v;
        Object.keys(schema.properties ?? {}).forEach((childKey, i) => {
          const v = children[i].read(problems);
          if (v !== undefined) out[childKey] = v;
        });
        return Object.keys(out).length || required ? out : undefined;
      },
    };
  }

  let control;
  let read;
  let hintExtra;
  if (kind === 'enum') {
    const options = [];
    if (!required || value === undefined)
      options.push(h('option', { value: '' }, schema.default !== undefined ? `(default: ${schema.default})` : required ? 'Choose…' : '(not set)'));
    for (const option of schema.enum) options.push(h('option', { value: option, selected: value === option }, option));
    if (typeof value === 'string' && !schema.enum.includes(value)) options.push(h('option', { value, selected: true }, `${value} (not allowed)`));
    control = h('select', common, options);
    read = () => (control.value === '' ? undefined : control.value);
  } else if (kind === 'string') {
    const long = (schema.maxLength ?? 0) > 4096 || /statement|body|template/i.test(key);
    const attrs = {
      ...common,
      value: typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value),
      placeholder: typeof schema.default === 'string' ? schema.default : null,
      maxlength: schema.maxLength,
      spellcheck: 'false',
      autocomplete: 'off',
    };
    control = long ? h('textarea', { ...attrs, class: 'code small', rows: 5 }) : h('input', { ...attrs, type: /url/i.test(key) ? 'url' : 'text' });
    if (long) control.value = attrs.value;
    read = () => (control.value === '' ? undefined : control.value);
  } else if (kind === 'number') {
    control = h('input', {
      ...common,
      type: 'number',
      inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
      step: schema.type === 'integer' ? 1 : 'any',
      min: schema.minimum,
      max: schema.maximum,
      placeholder: schema.default !== undefined ? String(schema.default) : null,
      value: typeof value === 'number' ? String(value) : '',
    });
    const range = schema.minimum !== undefined || schema.maximum !== undefined ? `Range ${schema.minimum ?? '…'}–${schema.maximum ?? '…'}.` : null;
    hintExtra = range;
    read = (problems) => {
      const text = control.value.trim();
      if (text === '') {
        if (control.validity?.badInput) problems.push({ path, message: 'must be a number' });
        return undefined;
      }
      const number = Number(text);
      if (!Number.isFinite(number)) {
        problems.push({ path, message: 'must be a number' });
        return undefined;
      }
      return number;
    };
  } else if (kind === 'boolean') {
    const fallback = schema.default === true;
    control = h('input', { ...common, type: 'checkbox', checked: typeof value === 'boolean' ? value : fallback });
    const node = h('div', { class: 'field' }, h('label', {}, control, ` ${key}`), hintOf(schema) ? h('p', { class: 'hint' }, hintOf(schema)) : null);
    const errorEl = h('p', { class: 'error', hidden: true });
    node.append(errorEl);
    targets.push([
      path,
      {
        setError(text) {
          errorEl.textContent = text ?? '';
          errorEl.hidden = !text;
        },
      },
    ]);
    return {
      node,
      // sent when it was set before, or when it differs from the default
      read: () => (typeof value === 'boolean' || control.checked !== fallback || required ? control.checked : undefined),
    };
  } else if (kind === 'lines') {
    control = h('textarea', { ...common, class: 'lines', rows: 3, spellcheck: 'false' });
    control.value = Array.isArray(value) ? value.join('\n') : '';
    hintExtra = 'One per line.';
    read = () => {
      const lines = control.value
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
      return lines.length || Array.isArray(value) ? lines : undefined;
    };
  } else if (kind === 'pairs') {
    control = h('textarea', { ...common, class: 'lines', rows: 3, spellcheck: 'false' });
    control.value = isObject(value)
      ? Object.entries(value)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n')
      : '';
    hintExtra = 'One "key: value" per line.';
    read = (problems) => {
      const out = {};
      control.value.split('\n').forEach((line, i) => {
        if (!line.trim()) return;
        const at = line.indexOf(':');
        if (at <= 0) {
          problems.push({ path, message: `line ${i + 1}: write "key: value"` });
          return;
        }
        out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      });
      return Object.keys(out).length || isObject(value) ? out : undefined;
    };
  } else {
    // anything else: a small JSON editor of its own
    const editor = jsonEditor(`${label} (JSON)`, value === undefined ? '' : value, { hint: hintOf(schema), rows: 4, small: true, name: path });
    targets.push([path, { setError: (text) => editor.setDetails(text ? [{ path, message: text }] : []) }]);
    return {
      node: editor.wrap,
      read(problems) {
        const parsed = editor.read();
        if (parsed.error) problems.push({ path, message: `not valid JSON: ${parsed.error}` });
        return parsed.value;
      },
    };
  }
  const wrap = field(label, control, { hint: hintOf(schema, hintExtra) });
  // an error goes away once the field is changed
  control.addEventListener('input', () => wrap.setError(null));
  control.addEventListener('change', () => wrap.setError(null));
  targets.push([path, wrap]);
  return { node: wrap, read };
}

function setGroupError(fieldset, text) {
  let el = fieldset.querySelector(':scope > p.error');
  if (!el) {
    el = h('p', { class: 'error', hidden: true });
    fieldset.querySelector(':scope > legend').after(el);
  }
  el.textContent = text ?? '';
  el.hidden = !text;
}

/**
 * The config of a handler kind as a form generated from its JSON Schema (strings, numbers,
 * booleans, enums as selects, string arrays one per line, string maps as "key: value" lines,
 * nested objects as fieldsets, the rest as small JSON editors), with an "Edit as JSON" toggle.
 * `basePath` is where the server names its errors ('/config').
 * Returns { node, read() → { value } | { problems }, setDetails(details) → the details it could not place }.
 */
export function configEditor(schema, value, { basePath = '/config', legend = 'Handler config' } = {}) {
  const node = h('div', { class: 'config-editor' });
  const toggle = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Edit as JSON');
  const general = errorList(uid('config-errors'));
  let current = isObject(value) ? value : {};
  let mode = formCanExpress(schema) ? 'form' : 'json';
  let form;
  let editor;
  let targets = [];

  function draw() {
    targets = [];
    toggle.setAttribute('aria-pressed', String(mode === 'json'));
    toggle.textContent = mode === 'json' ? 'Edit as form' : 'Edit as JSON';
    toggle.hidden = !formCanExpress(schema);
    let body;
    if (mode === 'form') {
      form = build(schema, current, basePath, legend, false, targets);
      // the top fieldset: its legend is the section's name, not a key
      body = form.node;
      editor = null;
    } else {
      editor = jsonEditor(`${legend} (JSON)`, current, { rows: 8, hint: schema?.description, small: !formCanExpress(schema) });
      body = editor.wrap;
      form = null;
    }
    replace(node, h('div', { class: 'toolbar', hidden: toggle.hidden }, toggle), general, body);
  }

  function read() {
    if (mode === 'form') {
      const problems = [];
      const value = form.read(problems) ?? {};
      return problems.length ? { problems } : { value };
    }
    const parsed = editor.read();
    if (parsed.empty) return { value: {} };
    if (parsed.error) return { problems: [{ path: basePath, message: `not valid JSON: ${parsed.error}` }] };
    if (!isObject(parsed.value)) return { problems: [{ path: basePath, message: 'must be a JSON object' }] };
    return { value: parsed.value };
  }

  toggle.addEventListener('click', () => {
    const now = read();
    if (now.problems) {
      setDetails(now.problems);
      return;
    }
    current = now.value;
    mode = mode === 'form' ? 'json' : 'form';
    draw();
    (node.querySelector('textarea, input, select') ?? toggle).focus();
  });

  /** Put each error beside the deepest field whose path covers it; returns those none took. */
  function setDetails(details) {
    for (const [, target] of targets) target.setError(null);
    if (editor) editor.setDetails([]);
    general.show([]);
    const rest = [];
    if (mode === 'json') {
      editor.setDetails(details);
      return [];
    }
    const byTarget = new Map();
    for (const detail of details) {
      const path = String(detail.path ?? '');
      let best;
      for (const [prefix, target] of targets) if (covers(prefix, path) && (!best || prefix.length > best[0].length)) best = [prefix, target];
      if (!best || best[0] === basePath) {
        rest.push(detail);
        continue;
      }
      const suffix = path.slice(best[0].length);
      const text = suffix ? `${suffix.slice(1).replace(/~1/g, '/').replace(/~0/g, '~')}: ${detail.message}` : detail.message;
      byTarget.set(best[1], [...(byTarget.get(best[1]) ?? []), text]);
    }
    for (const [target, texts] of byTarget) target.setError(texts.join('; '));
    general.show(rest);
    return [];
  }

  draw();
  return { node, read, setDetails, focus: () => node.querySelector('input, select, textarea')?.focus() };
}
