// A form built from a JSON Schema (a tool's inputSchema): one labelled control per argument, its value as the
// arguments object, and the API's field errors ({ path: '/arguments/positions/0/symbol', message }) beside their controls.
import { field, h } from './dom.js';

const MAX_DEPTH = 12;
const SCALARS = new Set(['string', 'number', 'boolean', 'enum', 'const']);

/**
 * schemaForm(schema, { idPrefix, initial }) → {
 *   element,
 *   value(): the arguments object (empty optional fields left out),
 *   check(): { value, errors } — also shows the errors found in the browser (a required field left empty, a number or
 *            JSON that does not parse) beside their controls,
 *   setErrors(details): shows API field errors beside the matching controls; returns the ones no control took,
 *   clearErrors(), focusFirstError()
 * }
 * `initial`: values to fill in instead of the schema's defaults (e.g. what the raw JSON editor held).
 */
export function schemaForm(schema, { idPrefix = 'arg', initial } = {}) {
  const rootSchema = schema && typeof schema === 'object' ? schema : {};
  const ctx = { root: rootSchema, serial: 0, ids: new Set() };
  const root = build(rootSchema, {
    ctx,
    label: 'Arguments',
    id: uniqueId(ctx, idPrefix),
    required: true,
    isRoot: true,
    init: initial,
    hasInit: initial !== undefined,
    depth: 0,
  });
  const element = h('div', { class: 'schema-form' }, root.element);

  function clearErrors() {
    root.clear();
  }

  function place(detail) {
    let segments = String(detail.path ?? '')
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (segments[0] === 'arguments') segments = segments.slice(1);
    if (segments.length === 1 && segments[0] === '') segments = [];
    let node = root;
    let placed = true;
    for (const segment of segments) {
      const next = node.child(segment);
      if (!next) {
        placed = false;
        break;
      }
      node = next;
    }
    const missing = /required property '([^']+)'/.exec(detail.message ?? '');
    const target = placed && missing ? node.child(missing[1]) : undefined;
    (target ?? node).addError(detail.message ?? 'invalid');
    return placed && (target || !missing || node !== root);
  }

  function setErrors(details) {
    clearErrors();
    return (details ?? []).filter((detail) => !place(detail));
  }

  return {
    element,
    value: () => root.collect('', []) ?? {},
    check() {
      clearErrors();
      const errors = [];
      const value = root.collect('', errors) ?? {};
      for (const detail of errors) place(detail);
      return { value, errors };
    },
    setErrors,
    clearErrors,
    focusFirstError() {
      const bad = element.querySelector('[aria-invalid="true"]');
      if (bad) bad.focus();
      return Boolean(bad);
    },
  };
}

// ---- schema helpers -------------------------------------------------------------------------------------------

function uniqueId(ctx, base) {
  let id = base.replace(/[^A-Za-z0-9_-]/g, '_');
  while (ctx.ids.has(id)) id = `${base}-${++ctx.serial}`;
  ctx.ids.add(id);
  return id;
}

function pointerGet(root, ref) {
  if (!ref.startsWith('#')) return undefined;
  let at = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = at[key];
  }
  return at && typeof at === 'object' ? at : undefined;
}

function merge(a, b) {
  const out = { ...b, ...a };
  if (a.properties || b.properties) out.properties = { ...b.properties, ...a.properties };
  if (a.required || b.required) out.required = [...new Set([...(b.required ?? []), ...(a.required ?? [])])];
  return out;
}

/** Local $ref and allOf resolved (shallowly merged); anything not a schema object becomes {}. */
function resolve(schema, ctx, depth = 0) {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return {};
  let s = schema;
  if (typeof s.$ref === 'string' && depth < MAX_DEPTH) {
    const target = pointerGet(ctx.root, s.$ref);
    if (target) {
      const { $ref, ...rest } = s;
      s = merge(rest, resolve(target, ctx, depth + 1));
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length && depth < MAX_DEPTH) {
    const { allOf, ...rest } = s;
    let merged = rest;
    for (const part of allOf) merged = merge(merged, resolve(part, ctx, depth + 1));
    s = merged;
  }
  return s;
}

function alternatives(s) {
  const list = Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : null;
  if (!list?.length) return null;
  // oneOf lists that only add `required` sets to the parent's properties are not a choice of forms
  const meaningful = list.some(
    (alt) => alt && typeof alt === 'object' && ('type' in alt || 'properties' in alt || 'const' in alt || 'enum' in alt || 'items' in alt || '$ref' in alt),
  );
  return meaningful ? list : null;
}

function mainType(s) {
  let type = s.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    type = nonNull.length === 1 ? nonNull[0] : type.length === 1 ? type[0] : undefined;
  }
  if (!type) {
    if (s.properties || s.additionalProperties) type = 'object';
    else if (s.items) type = 'array';
  }
  return type;
}

function kindOf(s) {
  if ('const' in s) return 'const';
  if (alternatives(s)) return 'choice';
  if (Array.isArray(s.enum) && s.enum.length) return 'enum';
  switch (mainType(s)) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return s.items && typeof s.items === 'object' && !Array.isArray(s.items) && !s.prefixItems ? 'array' : 'json';
    case 'object':
      if (s.properties || (s.additionalProperties && typeof s.additionalProperties === 'object')) return 'object';
      return 'json';
    default:
      return 'json';
  }
}

function describeType(s) {
  const kind = kindOf(s);
  if (kind === 'array') return `array of ${describeType(s.items)}`;
  if (kind === 'enum') return 'one of a list';
  if (kind === 'number') return mainType(s);
  if (kind === 'json') return mainType(s) ?? 'JSON';
  return kind;
}

function show(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The constraints a person should know before the server says them: pattern, lengths, bounds, item counts. */
function constraints(s) {
  const out = [];
  const kind = kindOf(s);
  if (kind === 'string') {
    if (s.minLength !== undefined && s.maxLength !== undefined) out.push(`${s.minLength}–${s.maxLength} characters`);
    else if (s.minLength !== undefined) out.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`);
    else if (s.maxLength !== undefined) out.push(`at most ${s.maxLength} characters`);
    if (s.pattern) out.push(`pattern ${s.pattern}`);
    if (s.format === 'date-time') out.push('format date-time (your local time, sent as UTC ISO 8601)');
    else if (s.format) out.push(`format ${s.format}`);
  }
  if (kind === 'number') {
    if (mainType(s) === 'integer') out.push('a whole number');
    if (typeof s.exclusiveMinimum === 'number') out.push(`> ${s.exclusiveMinimum}`);
    else if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
    if (typeof s.exclusiveMaximum === 'number') out.push(`< ${s.exclusiveMaximum}`);
    else if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
    if (s.multipleOf !== undefined) out.push(`a multiple of ${s.multipleOf}`);
  }
  if (kind === 'array') {
    if (s.minItems !== undefined && s.maxItems !== undefined) out.push(`${s.minItems}–${s.maxItems} items`);
    else if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
    else if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
    if (s.uniqueItems) out.push('no duplicates');
  }
  if (s.default !== undefined && SCALARS.has(kind)) out.push(`default ${show(s.default)}`);
  return out;
}

function hintOf(s, extra = []) {
  const rules = [...constraints(s), ...extra];
  const parts = [s.description, rules.length ? `(${rules.join('; ')})` : null].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

function labelOf(o) {
  return o.required && !o.isItem ? `${o.label} (required)` : o.label;
}

/** The error text of a node: several errors at one place are shown together. */
function errorList(show) {
  let list = [];
  return {
    addError(message) {
      list.push(message);
      show(list.join('; '));
    },
    clearOwn() {
      list = [];
      show(null);
    },
  };
}

/** A fieldset with its legend, hint and error (what field() is for a single control). */
function group(o, hintText, ...children) {
  const legend = h('legend', {}, labelOf(o));
  const hint = hintText ? h('p', { class: 'hint', id: `${o.id}-hint` }, hintText) : null;
  const error = h('p', { class: 'error', id: `${o.id}-error`, hidden: true });
  const fieldset = h('fieldset', { class: 'schema-group', id: o.id }, legend, hint, error, children);
  const describe = (text) => {
    const ids = [hint?.id, text ? error.id : null].filter(Boolean).join(' ');
    if (ids) fieldset.setAttribute('aria-describedby', ids);
    else fieldset.removeAttribute('aria-describedby');
  };
  describe(null);
  const errors = errorList((text) => {
    error.textContent = text ?? '';
    error.hidden = !text;
    fieldset.classList.toggle('invalid', Boolean(text));
    describe(text);
  });
  return { fieldset, legend, errors };
}

// ---- nodes ----------------------------------------------------------------------------------------------------
// A node: { element, collect(pointer, errors) → value | undefined (left out), child(segment) → node, addError(message),
//           clear(), setLabel(text), focus() }.

function build(schema, o) {
  const s = resolve(schema, o.ctx);
  const init = o.hasInit ? o.init : o.init !== undefined ? o.init : s.default;
  const opts = { ...o, init, hasDefault: 'default' in s };
  if (o.depth > MAX_DEPTH) return jsonNode(s, opts);
  switch (kindOf(s)) {
    case 'const':
      return constNode(s, opts);
    case 'choice':
      return choiceNode(s, opts);
    case 'enum':
      return enumNode(
        s,
        opts,
        s.enum.map((value) => ({ value, label: show(value) })),
      );
    case 'string':
      return stringNode(s, opts);
    case 'number':
      return numberNode(s, opts);
    case 'boolean':
      return booleanNode(s, opts);
    case 'null':
      return nullNode(s, opts);
    case 'array':
      return arrayNode(s, opts);
    case 'object':
      return objectNode(s, opts);
    default:
      return o.loose ? looseNode(s, opts) : jsonNode(s, opts);
  }
}

/** A single control in a field(): the common parts of the scalar nodes. */
function controlNode(control, o, hint, collect) {
  if (o.required) control.setAttribute('aria-required', 'true');
  const wrap = field(labelOf(o), control, { hint });
  const label = wrap.querySelector('label');
  const errors = errorList((text) => wrap.setError(text));
  return {
    element: wrap,
    control,
    collect,
    child: () => undefined,
    addError: errors.addError,
    clear: errors.clearOwn,
    setLabel(text) {
      o.label = text;
      label.textContent = labelOf(o);
    },
    focus: () => control.focus(),
  };
}

function missing(o, pointer, errors) {
  if (o.required) errors.push({ path: pointer, message: 'is required' });
  return undefined;
}

/** A given scalar as an input's text (a number given as "5" still fills a number input); anything else: empty. */
function scalarText(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** An ISO date-time as a datetime-local input's value (local time). */
function toLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const INPUT_TYPES = { date: 'date', time: 'time', email: 'email', uri: 'url', url: 'url' };

function stringNode(s, o) {
  const dateTime = s.format === 'date-time';
  const given = scalarText(o.init);
  const initial = dateTime && given ? toLocalInput(given) : given;
  const long = (s.maxLength ?? 0) > 256 || s.contentMediaType !== undefined;
  const attrs = { id: o.id, name: o.id, value: initial };
  let control;
  if (long && !dateTime && !INPUT_TYPES[s.format]) control = h('textarea', attrs, initial);
  else {
    control = h('input', {
      ...attrs,
      type: dateTime ? 'datetime-local' : (INPUT_TYPES[s.format] ?? 'text'),
      step: dateTime ? 1 : null,
      pattern: s.pattern ?? null,
      minlength: s.minLength ?? null,
      maxlength: s.maxLength ?? null,
    });
  }
  return controlNode(control, o, hintOf(s), (pointer, errors) => {
    const raw = control.value;
    if (raw === '') return missing(o, pointer, errors);
    if (!dateTime) return raw;
    const date = new Date(raw);
    if (Number.isNaN(date.getTime())) {
      errors.push({ path: pointer, message: 'is not a valid date and time' });
      return undefined;
    }
    return date.toISOString();
  });
}

function numberNode(s, o) {
  const integer = mainType(s) === 'integer';
  const control = h('input', {
    id: o.id,
    name: o.id,
    type: 'number',
    inputmode: integer ? 'numeric' : 'decimal',
    step: integer ? 1 : 'any',
    min: s.minimum ?? (typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : null),
    max: s.maximum ?? (typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : null),
    value: scalarText(o.init),
  });
  return controlNode(control, o, hintOf(s), (pointer, errors) => {
    if (control.validity.badInput) {
      errors.push({ path: pointer, message: 'must be a number' });
      return undefined;
    }
    if (control.value === '') return missing(o, pointer, errors);
    const value = Number(control.value);
    if (!Number.isFinite(value)) {
      errors.push({ path: pointer, message: 'must be a number' });
      return undefined;
    }
    if (integer && !Number.isInteger(value)) {
      errors.push({ path: pointer, message: 'must be a whole number' });
      return undefined;
    }
    return value;
  });
}

function booleanNode(s, o) {
  // Always sent when required, when the schema has a default or when the value was given; otherwise only when checked.
  const always = o.required || o.hasDefault || typeof o.init === 'boolean';
  const control = h('input', { id: o.id, name: o.id, type: 'checkbox', checked: o.init === true });
  const node = controlNode(control, o, hintOf(s, always ? [] : ['unchecked: left out']), () => (control.checked ? true : always ? false : undefined));
  node.element.classList.add('checkbox');
  return node;
}

function constNode(s, o) {
  const control = h('input', { id: o.id, name: o.id, value: show(s.const), readonly: true });
  return controlNode(control, o, hintOf(s, ['fixed value']), () => s.const);
}

function nullNode(s, o) {
  const control = h('input', { id: o.id, name: o.id, value: 'null', readonly: true });
  return controlNode(control, o, hintOf(s, ['always null']), () => null);
}

/** A select of fixed values (an enum, or a oneOf of consts). */
function enumNode(s, o, options) {
  const chosen = options.findIndex((opt) => JSON.stringify(opt.value) === JSON.stringify(o.init));
  const blank = o.required ? (chosen === -1 ? 'Choose…' : null) : '(not set)';
  const control = h(
    'select',
    { id: o.id, name: o.id },
    blank ? h('option', { value: '' }, blank) : null,
    options.map((opt, i) => h('option', { value: String(i), selected: i === chosen }, opt.label)),
  );
  return controlNode(control, o, hintOf(s), (pointer, errors) => {
    if (control.value === '') return missing(o, pointer, errors);
    return options[Number(control.value)].value;
  });
}

/** Anything the form cannot build controls for: its JSON in a textarea. */
function jsonNode(s, o) {
  const text = o.init === undefined ? '' : JSON.stringify(o.init, null, 2);
  const control = h('textarea', { id: o.id, name: o.id, class: 'json', spellcheck: 'false' }, text);
  control.value = text;
  const type = describeType(s);
  return controlNode(control, o, hintOf(s, [`JSON${type && type !== 'JSON' ? ` (${type})` : ''}`]), (pointer, errors) => {
    if (control.value.trim() === '') return missing(o, pointer, errors);
    try {
      return JSON.parse(control.value);
    } catch (error) {
      errors.push({ path: pointer, message: `is not valid JSON: ${error.message}` });
      return undefined;
    }
  });
}

/** A value of any type in a key/value row: JSON when it parses (3, true, null, [1]), else the text itself. */
function looseNode(s, o) {
  const text = o.init === undefined ? '' : typeof o.init === 'string' ? o.init : JSON.stringify(o.init);
  const control = h('input', { id: o.id, name: o.id, value: text, spellcheck: 'false' });
  return controlNode(control, o, hintOf(s, ['JSON, or plain text']), (pointer, errors) => {
    if (control.value === '') return missing(o, pointer, errors);
    try {
      return JSON.parse(control.value);
    } catch {
      return control.value;
    }
  });
}

function childOptions(o, key, extra) {
  return {
    ctx: o.ctx,
    label: key,
    id: uniqueId(o.ctx, `${o.id}-${key}`),
    depth: o.depth + 1,
    init: o.init && typeof o.init === 'object' && !Array.isArray(o.init) ? o.init[key] : undefined,
    hasInit: o.hasInit,
    ...extra,
  };
}

function objectNode(s, o) {
  const properties = s.properties && typeof s.properties === 'object' ? s.properties : {};
  const requiredKeys = new Set(Array.isArray(s.required) ? s.required : []);
  // Required arguments first, each group in the schema's order.
  const keys = [...Object.keys(properties).filter((k) => requiredKeys.has(k)), ...Object.keys(properties).filter((k) => !requiredKeys.has(k))];
  const children = new Map();
  for (const key of keys) {
    const sub = properties[key];
    children.set(key, build(sub, childOptions(o, key, { label: resolve(sub, o.ctx).title ?? key, required: requiredKeys.has(key) })));
  }
  const extra = s.additionalProperties && typeof s.additionalProperties === 'object' ? s.additionalProperties : null;
  const map = extra ? mapPart(extra, s, o, new Set(keys)) : null;
  const parts = h(
    'div',
    { class: 'schema-fields' },
    [...children.values()].map((c) => c.element),
    map?.element,
  );
  const empty = !children.size && !map ? h('p', { class: 'muted' }, 'No arguments.') : null;

  let element;
  let errors;
  let legend = null;
  // An optional object is sent only once someone typed in it (or it came with a value): its defaults alone are not a value.
  let touched = o.hasInit && o.init !== undefined;
  if (o.isRoot) {
    const error = h('p', { class: 'error', id: `${o.id}-error`, hidden: true, role: null });
    element = h('div', { class: 'schema-root', id: o.id }, error, empty, parts);
    errors = errorList((text) => {
      error.textContent = text ?? '';
      error.hidden = !text;
    });
  } else {
    const g = group(o, hintOf(s), empty, parts);
    element = g.fieldset;
    errors = g.errors;
    legend = g.legend;
    const touch = () => {
      touched = true;
    };
    element.addEventListener('input', touch);
    element.addEventListener('change', touch);
  }
  return {
    element,
    collect(pointer, errorsOut) {
      if (!o.required && !o.isRoot && !touched) return undefined;
      const found = [];
      const out = {};
      for (const [key, child] of children) {
        const value = child.collect(`${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, found);
        if (value !== undefined) out[key] = value;
      }
      if (map) Object.assign(out, map.collect(pointer, found));
      // An optional object nobody filled in is left out, with whatever its own required fields would have said.
      if (!Object.keys(out).length && !o.required && !o.isRoot && !found.some((e) => !e.message.startsWith('is required'))) return undefined;
      errorsOut.push(...found);
      return out;
    },
    child: (segment) => children.get(segment) ?? map?.child(segment),
    addError: errors.addError,
    clear() {
      errors.clearOwn();
      for (const child of children.values()) child.clear();
      map?.clear();
    },
    setLabel(text) {
      o.label = text;
      if (legend) legend.textContent = labelOf(o);
    },
    focus() {
      const first = [...children.values()][0];
      if (first) first.focus();
      else map?.focus();
    },
  };
}

/** additionalProperties: key/value rows (the values typed by its schema), with add/remove buttons. */
function mapPart(valueSchema, s, o, taken) {
  const rows = [];
  const list = h('div', { class: 'schema-rows' });
  const keyHint = s.propertyNames?.pattern ? `pattern ${s.propertyNames.pattern}` : undefined;
  const add = h('button', { type: 'button', class: 'secondary', onclick: () => addRow(undefined, undefined, false).key.focus() }, `Add ${o.label} entry`);

  function renumber() {
    rows.forEach((row, i) => {
      row.keyLabel.textContent = `Key ${i + 1}`;
      row.value.setLabel(`Value ${i + 1}`);
      row.remove.setAttribute('aria-label', `Remove ${o.label} entry ${i + 1}`);
    });
  }

  function addRow(key, value, hasInit) {
    const serial = ++o.ctx.serial;
    const id = uniqueId(o.ctx, `${o.id}-entry${serial}`);
    const keyInput = h('input', { id: `${id}-key`, name: `${id}-key`, value: key ?? '', pattern: s.propertyNames?.pattern ?? null });
    const keyField = field('Key', keyInput, { hint: keyHint });
    const keyErrors = errorList((text) => keyField.setError(text));
    const valueNode = build(valueSchema, {
      ctx: o.ctx,
      label: 'Value',
      id: `${id}-value`,
      required: true,
      isItem: true,
      loose: true,
      depth: o.depth + 1,
      init: value,
      hasInit,
    });
    const row = {
      key: keyInput,
      keyLabel: keyField.querySelector('label'),
      keyErrors,
      value: valueNode,
      remove: h('button', { type: 'button', class: 'secondary', onclick: () => removeRow(row) }, 'Remove'),
    };
    row.element = h('div', { class: 'schema-kv' }, keyField, valueNode.element, row.remove);
    rows.push(row);
    list.append(row.element);
    renumber();
    return row;
  }

  function removeRow(row) {
    const at = rows.indexOf(row);
    rows.splice(at, 1);
    row.element.remove();
    renumber();
    (rows[at]?.key ?? rows[at - 1]?.key ?? add).focus();
  }

  if (o.init && typeof o.init === 'object' && !Array.isArray(o.init))
    for (const [key, value] of Object.entries(o.init)) if (!taken.has(key)) addRow(key, value, true);
  // A map-only object starts with one empty row to fill in (an empty row is left out of the value).
  if (!rows.length && !taken.size) addRow(undefined, undefined, false);

  return {
    element: h('div', { class: 'schema-map' }, taken.size ? h('p', { class: 'muted' }, 'Other entries:') : null, list, h('div', { class: 'actions' }, add)),
    collect(pointer, errors) {
      const out = {};
      for (const row of rows) {
        const key = row.key.value;
        const entryPointer = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const found = [];
        const value = row.value.collect(entryPointer, found);
        if (key === '' && (value === undefined || value === false)) continue;
        if (key === '') {
          row.keyErrors.addError('a key is required');
          errors.push({ path: `${pointer}/`, message: 'an entry has no key' });
          continue;
        }
        if (key in out || taken.has(key)) {
          row.keyErrors.addError('duplicate key');
          errors.push({ path: entryPointer, message: `duplicate key "${key}"` });
          continue;
        }
        errors.push(...found);
        if (value !== undefined) out[key] = value;
      }
      return out;
    },
    child: (segment) => rows.find((row) => row.key.value === segment)?.value,
    clear() {
      for (const row of rows) {
        row.keyErrors.clearOwn();
        row.value.clear();
      }
    },
    focus: () => (rows[0]?.key ?? add).focus(),
  };
}

function arrayNode(s, o) {
  const itemSchema = resolve(s.items, o.ctx);
  // An array of distinct values from a list: one checkbox each.
  if (kindOf(itemSchema) === 'enum' && s.uniqueItems) return checkboxesNode(s, itemSchema, o);
  const items = [];
  const list = h('div', { class: 'schema-items' });
  const g = group(o, hintOf(s));
  const add = h('button', { type: 'button', class: 'secondary', onclick: () => addItem(undefined, false).node.focus() }, `Add ${o.label} item`);
  g.fieldset.append(list, h('div', { class: 'actions' }, add));

  function itemLabel(i) {
    return `${o.label} ${i + 1}`;
  }

  function renumber() {
    items.forEach((item, i) => {
      item.node.setLabel(itemLabel(i));
      item.remove.setAttribute('aria-label', `Remove ${itemLabel(i)}`);
    });
    add.disabled = s.maxItems !== undefined && items.length >= s.maxItems;
  }

  function addItem(init, hasInit) {
    const serial = ++o.ctx.serial;
    const node = build(itemSchema, {
      ctx: o.ctx,
      label: itemLabel(items.length),
      id: uniqueId(o.ctx, `${o.id}-${serial}`),
      required: true,
      isItem: true,
      depth: o.depth + 1,
      init,
      hasInit,
    });
    const item = { node };
    item.remove = h('button', { type: 'button', class: 'secondary', onclick: () => removeItem(item) }, 'Remove');
    if (node.element.tagName === 'FIELDSET') {
      node.element.append(h('div', { class: 'actions' }, item.remove));
      item.element = node.element;
    } else item.element = h('div', { class: 'schema-item' }, node.element, item.remove);
    items.push(item);
    list.append(item.element);
    renumber();
    return item;
  }

  function removeItem(item) {
    const at = items.indexOf(item);
    items.splice(at, 1);
    item.element.remove();
    renumber();
    const next = items[at] ?? items[at - 1];
    if (next) next.node.focus();
    else add.focus();
  }

  if (Array.isArray(o.init)) for (const value of o.init) addItem(value, true);
  else for (let i = 0; i < (s.minItems ?? 0); i++) addItem(undefined, false);
  renumber();

  return {
    element: g.fieldset,
    collect(pointer, errors) {
      if (!items.length && !o.required) return undefined;
      const out = [];
      items.forEach((item, i) => {
        const value = item.node.collect(`${pointer}/${i}`, errors);
        if (value !== undefined) out.push(value);
      });
      return out;
    },
    child: (segment) => (/^\d+$/.test(segment) ? items[Number(segment)]?.node : undefined),
    addError: g.errors.addError,
    clear() {
      g.errors.clearOwn();
      for (const item of items) item.node.clear();
    },
    setLabel(text) {
      o.label = text;
      g.legend.textContent = labelOf(o);
      add.textContent = `Add ${text} item`;
      renumber();
    },
    focus: () => (items[0] ? items[0].node.focus() : add.focus()),
  };
}

function checkboxesNode(s, itemSchema, o) {
  const g = group(o, hintOf(s));
  const chosen = new Set((Array.isArray(o.init) ? o.init : []).map((v) => JSON.stringify(v)));
  const boxes = itemSchema.enum.map((value, i) => {
    const box = h('input', { type: 'checkbox', id: `${o.id}-${i}`, name: o.id, checked: chosen.has(JSON.stringify(value)) });
    g.fieldset.append(h('label', { class: 'check' }, box, ` ${show(value)}`));
    return { box, value };
  });
  return {
    element: g.fieldset,
    collect() {
      const out = boxes.filter((b) => b.box.checked).map((b) => b.value);
      return out.length || o.required ? out : undefined;
    },
    child() {
      return this;
    },
    addError: g.errors.addError,
    clear: g.errors.clearOwn,
    setLabel(text) {
      o.label = text;
      g.legend.textContent = labelOf(o);
    },
    focus: () => boxes[0]?.box.focus(),
  };
}

/** The label of a oneOf/anyOf alternative: its title, its const, the const of its discriminating property, or "Option n (type)". */
function alternativeLabel(alt, i) {
  if (alt.title) return alt.title;
  if ('const' in alt) return show(alt.const);
  for (const [key, sub] of Object.entries(alt.properties ?? {})) if (sub && typeof sub === 'object' && 'const' in sub) return `${key}: ${show(sub.const)}`;
  return `Option ${i + 1} (${describeType(alt)})`;
}

function matches(alt, value) {
  if ('const' in alt) return JSON.stringify(alt.const) === JSON.stringify(value);
  const type = mainType(alt);
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (type === 'integer') return Number.isInteger(value);
  if (type && type !== actual) return false;
  if (actual === 'object') {
    for (const [key, sub] of Object.entries(alt.properties ?? {}))
      if (sub && typeof sub === 'object' && 'const' in sub && JSON.stringify(value[key]) !== JSON.stringify(sub.const)) return false;
    return (alt.required ?? []).every((key) => key in value);
  }
  return Boolean(type) || alt.enum?.some((v) => JSON.stringify(v) === JSON.stringify(value)) === true;
}

function choiceNode(s, o) {
  const { oneOf, anyOf, title, description, default: _default, ...base } = s;
  const alts = alternatives(s).map((alt) => merge(resolve(alt, o.ctx), base));
  const labels = alts.map(alternativeLabel);
  // Alternatives that are all fixed values are just a list to pick from.
  if (alts.every((alt) => 'const' in alt))
    return enumNode(
      s,
      o,
      alts.map((alt, i) => ({ value: alt.const, label: labels[i] })),
    );

  const g = group(o, hintOf(s));
  const fits = o.init === undefined ? -1 : alts.findIndex((alt) => matches(alt, o.init));
  const start = fits !== -1 ? fits : o.required && !o.hasInit ? 0 : -1;
  const select = h(
    'select',
    { id: `${o.id}-choice`, name: `${o.id}-choice` },
    o.required ? null : h('option', { value: '' }, '(not set)'),
    labels.map((label, i) => h('option', { value: String(i), selected: i === start }, label)),
  );
  if (start === -1 && o.required) select.prepend(h('option', { value: '', selected: true }, 'Choose…'));
  const selectField = field('Alternative', select);
  const body = h('div', { class: 'schema-choice' });
  g.fieldset.append(selectField, body);
  let current = null;

  function choose(index, init, hasInit) {
    body.replaceChildren();
    current = null;
    if (index === -1) return;
    current = build(alts[index], {
      ctx: o.ctx,
      label: labels[index],
      id: uniqueId(o.ctx, `${o.id}-alt${index}-${++o.ctx.serial}`),
      required: true,
      isItem: true,
      depth: o.depth + 1,
      init,
      hasInit,
    });
    body.append(current.element);
  }
  select.addEventListener('change', () => choose(select.value === '' ? -1 : Number(select.value), undefined, false));
  choose(start, fits !== -1 ? o.init : undefined, fits !== -1 && o.hasInit);

  return {
    element: g.fieldset,
    collect(pointer, errors) {
      if (!current) return missing(o, pointer, errors);
      return current.collect(pointer, errors);
    },
    child: (segment) => current?.child(segment),
    // An error about the value goes beside the control that holds it (the chosen alternative's).
    addError: (message) => (current ? current.addError(message) : g.errors.addError(message)),
    clear() {
      g.errors.clearOwn();
      current?.clear();
    },
    setLabel(text) {
      o.label = text;
      g.legend.textContent = labelOf(o);
    },
    focus: () => select.focus(),
  };
}
