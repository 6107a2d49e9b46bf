// Controls for single values: text (and date-time), numbers, checkboxes, fixed values, null, and selects of an enum.
import { h } from '../dom.js';
import { hintOf, show } from './hints.js';
import { controlNode, missing } from './parts.js';
import { mainType } from './resolve.js';

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

export function stringNode(s, o) {
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

export function numberNode(s, o) {
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

export function booleanNode(s, o) {
  // Always sent when required, when the schema has a default or when the value was given; otherwise only when checked.
  const always = o.required || o.hasDefault || typeof o.init === 'boolean';
  const control = h('input', { id: o.id, name: o.id, type: 'checkbox', checked: o.init === true });
  const node = controlNode(control, o, hintOf(s, always ? [] : ['unchecked: left out']), () => (control.checked ? true : always ? false : undefined));
  node.element.classList.add('checkbox');
  return node;
}

export function constNode(s, o) {
  const control = h('input', { id: o.id, name: o.id, value: show(s.const), readonly: true });
  return controlNode(control, o, hintOf(s, ['fixed value']), () => s.const);
}

export function nullNode(s, o) {
  const control = h('input', { id: o.id, name: o.id, value: 'null', readonly: true });
  return controlNode(control, o, hintOf(s, ['always null']), () => null);
}

/** A select of fixed values (an enum, or a oneOf of consts). */
export function enumNode(s, o, options) {
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
