// The config of a handler kind as a form generated from its JSON Schema, with an "Edit as JSON" toggle; the server's errors placed beside the fields they name.

import { buildProperty, formCanExpress, isObject } from './config-fields.js';
import { h, replace, uid } from './dom.js';
import { errorList, jsonEditor } from './json-editor.js';

export { formCanExpress };

/** Whether pointer `prefix` is `path` or one of its ancestors. */
function covers(prefix, path) {
  return path === prefix || path.startsWith(`${prefix}/`);
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
      form = buildProperty(schema, current, basePath, legend, false, targets);
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
