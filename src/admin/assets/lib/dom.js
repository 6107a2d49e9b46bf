// Building DOM without innerHTML: every value shown is text, never markup (nothing a tool row holds can run as script).

/**
 * h('a', { href: '#/x', class: 'button' }, 'text', child…): attributes as given
 * (`on<event>` functions become listeners, `false`/`null`/`undefined` are left out),
 * children as nodes or text (arrays flattened, null/false skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' && 'checked' in el) el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
/** A fresh id for label/control pairs. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form control: field('Name', input, { hint, error }). The control gets an id,
 * the label points at it, the hint and error are tied to it with aria-describedby, and
 * aria-invalid is set while there is an error. Returns the wrapper; `.setError(text)` changes the error.
 */
export function field(labelText, control, { hint, error } = {}) {
  control.id ||= uid();
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'error', id: `${control.id}-error`, hidden: true });
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, labelText), control, hintEl, errorEl);
  wrap.control = control;
  wrap.setError = (text) => {
    errorEl.textContent = text ?? '';
    errorEl.hidden = !text;
    wrap.classList.toggle('invalid', Boolean(text));
    if (text) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
    const describedBy = [hintEl?.id, text ? errorEl.id : null].filter(Boolean).join(' ');
    if (describedBy) control.setAttribute('aria-describedby', describedBy);
    else control.removeAttribute('aria-describedby');
  };
  wrap.setError(error);
  return wrap;
}

/** A status badge: badge('available', 'ok' | 'warn' | 'bad'). */
export function badge(text, tone = 'ok') {
  return h('span', { class: `badge ${tone}` }, text);
}

/**
 * An API error (lib/api.js ApiError) or any message as a notice: the message, and each
 * field path the server named with its reason.
 */
export function errorNotice(error) {
  const details = Array.isArray(error?.details) ? error.details : [];
  return h(
    'div',
    { class: 'notice error', role: 'alert' },
    h('strong', {}, error?.code ? `${error.code}: ` : 'Error: '),
    error?.message ?? String(error),
    details.length
      ? h(
          'ul',
          {},
          details.map((d) => h('li', {}, h('code', {}, d.path || '/'), ' ', d.message)),
        )
      : null,
  );
}

export function successNotice(text) {
  return h('div', { class: 'notice success', role: 'status' }, text);
}

/**
 * A table: columns [{ key, label, sort?: (row) => value, render?: (row) => node, num? }], rows.
 * Columns with `sort` get a sort button in their header (aria-sort tells which one is active).
 */
export function table(columns, rows, { caption, sortKey, sortDir = 'asc', onSort } = {}) {
  const head = h(
    'tr',
    {},
    columns.map((col) => {
      const active = sortKey === col.key;
      const th = h('th', { scope: 'col', 'aria-sort': active ? (sortDir === 'asc' ? 'ascending' : 'descending') : col.sort ? 'none' : null });
      if (col.sort && onSort) {
        th.append(h('button', { type: 'button', class: 'sort', onclick: () => onSort(col.key) }, col.label, active ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''));
      } else th.append(col.label);
      return th;
    }),
  );
  const body = rows.map((row) =>
    h(
      'tr',
      {},
      columns.map((col) => h('td', { class: col.num ? 'num' : null }, col.render ? col.render(row) : (row[col.key] ?? ''))),
    ),
  );
  return h('table', {}, caption ? h('caption', { class: 'visually-hidden' }, caption) : null, h('thead', {}, head), h('tbody', {}, body));
}

/** Sort rows by a column's `sort` accessor. */
export function sortRows(rows, columns, key, dir) {
  const col = columns.find((c) => c.key === key);
  if (!col?.sort) return rows;
  const sign = dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = col.sort(a);
    const y = col.sort(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

/** Ask before something destructive: a modal <dialog> (keyboard: Esc cancels); resolves true when confirmed. */
export function confirmDialog(question, confirmLabel = 'Delete') {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, question),
      h(
        'form',
        { method: 'dialog', class: 'actions' },
        h('button', { value: 'confirm', class: 'danger' }, confirmLabel),
        h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Format an ISO time for people (local time), keeping the exact value as a tooltip. */
export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString());
}

/** A link to a page of the UI: link('/servers/finance/tools', 'Tools'). */
export function link(path, text, attrs = {}) {
  return h('a', { href: `#${path}`, ...attrs }, text);
}
