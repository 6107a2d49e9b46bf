// oneOf/anyOf: a select of the alternatives and the chosen one's node below it (a list of consts is just an enum).
// The chosen alternative's node is built with o.ctx.build (see objects.js).
import { field, h } from '../dom.js';
import { hintOf, show } from './hints.js';
import { group, labelOf, missing, uniqueId } from './parts.js';
import { alternatives, describeType, mainType, merge, resolve } from './resolve.js';
import { enumNode } from './scalars.js';

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

export function choiceNode(s, o) {
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
    current = o.ctx.build(alts[index], {
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
