// Objects: one child node per property (required ones first) and, for additionalProperties, key/value rows.
// Child nodes are built with o.ctx.build (the dispatcher in build.js, handed down in ctx so the modules do not import
// each other in a circle).
import { field, h } from '../dom.js';
import { hintOf } from './hints.js';
import { errorList, group, growableList, labelOf, uniqueId } from './parts.js';
import { resolve } from './resolve.js';

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

export function objectNode(s, o) {
  const properties = s.properties && typeof s.properties === 'object' ? s.properties : {};
  const requiredKeys = new Set(Array.isArray(s.required) ? s.required : []);
  // Required arguments first, each group in the schema's order.
  const keys = [...Object.keys(properties).filter((k) => requiredKeys.has(k)), ...Object.keys(properties).filter((k) => !requiredKeys.has(k))];
  const children = new Map();
  for (const key of keys) {
    const sub = properties[key];
    children.set(key, o.ctx.build(sub, childOptions(o, key, { label: resolve(sub, o.ctx).title ?? key, required: requiredKeys.has(key) })));
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
  const growable = growableList(rows, list, renumber, add, (row) => row.key);

  function addRow(key, value, hasInit) {
    const serial = ++o.ctx.serial;
    const id = uniqueId(o.ctx, `${o.id}-entry${serial}`);
    const keyInput = h('input', { id: `${id}-key`, name: `${id}-key`, value: key ?? '', pattern: s.propertyNames?.pattern ?? null });
    const keyField = field('Key', keyInput, { hint: keyHint });
    const keyErrors = errorList((text) => keyField.setError(text));
    const valueNode = o.ctx.build(valueSchema, {
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
      remove: h('button', { type: 'button', class: 'secondary', onclick: () => growable.remove(row) }, 'Remove'),
    };
    row.element = h('div', { class: 'schema-kv' }, keyField, valueNode.element, row.remove);
    return growable.push(row);
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
