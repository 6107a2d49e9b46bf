// A form built from a JSON Schema (a tool's inputSchema): one labelled control per argument, its value as the
// arguments object, and the API's field errors ({ path: '/arguments/positions/0/symbol', message }) beside their controls.
import { h } from '../dom.js';
import { build } from './build.js';
import { placeError, setErrors } from './errors.js';
import { uniqueId } from './parts.js';

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
  // ctx.build: how composite nodes (objects, arrays, alternatives) build their children, see build.js.
  const ctx = { root: rootSchema, serial: 0, ids: new Set(), build };
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

  return {
    element,
    value: () => root.collect('', []) ?? {},
    check() {
      clearErrors();
      const errors = [];
      const value = root.collect('', errors) ?? {};
      for (const detail of errors) placeError(root, detail);
      return { value, errors };
    },
    setErrors: (details) => setErrors(root, details),
    clearErrors,
    focusFirstError() {
      const bad = element.querySelector('[aria-invalid="true"]');
      if (bad) bad.focus();
      return Boolean(bad);
    },
  };
}
