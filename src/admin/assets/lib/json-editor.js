// A JSON editor (a textarea, its parse error live, the server's errors listed under it with their paths), and that list of errors.
import { field, h, replace } from './dom.js';
import { parseJson } from './forms.js';
import { pretty } from './text.js';

/** A list of server errors (path + message) under an editor; show(details) fills it, show([]) empties it. */
export function errorList(id) {
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
