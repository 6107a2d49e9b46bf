// The pieces every node is made of: unique ids, labels, error lists, and the field or fieldset around the control(s).
// A node: { element, collect(pointer, errors) → value | undefined (left out), child(segment) → node, addError(message),
//           clear(), setLabel(text), focus() }.
import { field, h } from '../dom.js';

export function uniqueId(ctx, base) {
  let id = base.replace(/[^A-Za-z0-9_-]/g, '_');
  while (ctx.ids.has(id)) id = `${base}-${++ctx.serial}`;
  ctx.ids.add(id);
  return id;
}

export function labelOf(o) {
  return o.required && !o.isItem ? `${o.label} (required)` : o.label;
}

/** The error text of a node: several errors at one place are shown together. */
export function errorList(show) {
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
export function group(o, hintText, ...children) {
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

/** A single control in a field(): the common parts of the scalar nodes. */
export function controlNode(control, o, hint, collect) {
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

export function missing(o, pointer, errors) {
  if (o.required) errors.push({ path: pointer, message: 'is required' });
  return undefined;
}

/**
 * The add/remove bookkeeping of a growable list (array items, key/value rows): `rows` is the
 * page's own array, `list` the element they sit in. push() appends one; remove() takes one out
 * and moves the focus to its neighbour (focusOf(row)), or to the Add button when none is left.
 */
export function growableList(rows, list, renumber, add, focusOf) {
  return {
    push(row) {
      rows.push(row);
      list.append(row.element);
      renumber();
      return row;
    },
    remove(row) {
      const at = rows.indexOf(row);
      rows.splice(at, 1);
      row.element.remove();
      renumber();
      const next = rows[at] ?? rows[at - 1];
      (next ? focusOf(next) : add).focus();
    },
  };
}
