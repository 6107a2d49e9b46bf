// Arrays: a list of item nodes with add/remove buttons, or one checkbox per value for an array of distinct enum values.
// Item nodes are built with o.ctx.build (see objects.js).
import { h } from '../dom.js';
import { hintOf, show } from './hints.js';
import { group, growableList, labelOf, uniqueId } from './parts.js';
import { kindOf, resolve } from './resolve.js';

export function arrayNode(s, o) {
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
  const growable = growableList(items, list, renumber, add, (item) => item.node);

  function addItem(init, hasInit) {
    const serial = ++o.ctx.serial;
    const node = o.ctx.build(itemSchema, {
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
    item.remove = h('button', { type: 'button', class: 'secondary', onclick: () => growable.remove(item) }, 'Remove');
    if (node.element.tagName === 'FIELDSET') {
      node.element.append(h('div', { class: 'actions' }, item.remove));
      item.element = node.element;
    } else item.element = h('div', { class: 'schema-item' }, node.element, item.remove);
    return growable.push(item);
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
