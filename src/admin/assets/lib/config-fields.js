// The editor of one property of a handler kind's config, chosen from its JSON Schema: a form control, a fieldset of them, or a small JSON editor.
import { field, h } from './dom.js';
import { jsonEditor } from './json-editor.js';

// ---- JSON Pointer paths ------------------------------------------------------------------------

const escapeKey = (key) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const join = (path, key) => `${path}/${escapeKey(key)}`;

// ---- A form from a JSON Schema ---------------------------------------------------------------

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
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
export function buildProperty(schema, value, path, key, required, targets) {
  const kind = kindOf(schema);
  const label = required ? `${key} (required)` : key;
  const common = { name: path, 'aria-required': required ? 'true' : null };

  if (kind === 'object') {
    const children = Object.entries(schema.properties ?? {}).map(([childKey, childSchema]) =>
      buildProperty(
        childSchema,
        isObject(value) ? value[childKey] : undefined,
        join(path, childKey),
        childKey,
        (schema.required ?? []).includes(childKey),
        targets,
      ),
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
