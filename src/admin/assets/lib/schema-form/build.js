// The node for a schema: resolved, its initial value chosen (what was given, else the schema's default), then built by
// its kind. The nodes that hold other nodes (objects, arrays, alternatives) build them through ctx.build, which
// schemaForm() sets to this function, so those modules need not import this one (no import cycle).
import { choiceNode } from './alternatives.js';
import { arrayNode } from './arrays.js';
import { show } from './hints.js';
import { objectNode } from './objects.js';
import { jsonNode, looseNode } from './raw-json.js';
import { kindOf, MAX_DEPTH, resolve } from './resolve.js';
import { booleanNode, constNode, enumNode, nullNode, numberNode, stringNode } from './scalars.js';

export function build(schema, o) {
  const s = resolve(schema, o.ctx);
  const init = o.hasInit ? o.init : o.init !== undefined ? o.init : s.default;
  const opts = { ...o, init, hasDefault: 'default' in s };
  if (o.depth > MAX_DEPTH) return jsonNode(s, opts);
  switch (kindOf(s)) {
    case 'const':
      return constNode(s, opts);
    case 'choice':
      return choiceNode(s, opts);
    case 'enum':
      return enumNode(
        s,
        opts,
        s.enum.map((value) => ({ value, label: show(value) })),
      );
    case 'string':
      return stringNode(s, opts);
    case 'number':
      return numberNode(s, opts);
    case 'boolean':
      return booleanNode(s, opts);
    case 'null':
      return nullNode(s, opts);
    case 'array':
      return arrayNode(s, opts);
    case 'object':
      return objectNode(s, opts);
    default:
      return o.loose ? looseNode(s, opts) : jsonNode(s, opts);
  }
}
