// The fallback for what the form cannot build controls for: the value's JSON typed in (or, in a key/value row, JSON or text).
import { h } from '../dom.js';
import { hintOf } from './hints.js';
import { controlNode, missing } from './parts.js';
import { describeType } from './resolve.js';

/** Anything the form cannot build controls for: its JSON in a textarea. */
export function jsonNode(s, o) {
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
export function looseNode(s, o) {
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
