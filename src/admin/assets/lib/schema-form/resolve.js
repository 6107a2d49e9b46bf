// Schema resolution and classification: local $ref and allOf merged in, the main type of a nullable type list, and which
// kind of control a schema gets.

export const MAX_DEPTH = 12;

function pointerGet(root, ref) {
  if (!ref.startsWith('#')) return undefined;
  let at = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !(key in at)) return undefined;
    at = at[key];
  }
  return at && typeof at === 'object' ? at : undefined;
}

export function merge(a, b) {
  const out = { ...b, ...a };
  if (a.properties || b.properties) out.properties = { ...b.properties, ...a.properties };
  if (a.required || b.required) out.required = [...new Set([...(b.required ?? []), ...(a.required ?? [])])];
  return out;
}

/** Local $ref and allOf resolved (shallowly merged); anything not a schema object becomes {}. */
export function resolve(schema, ctx, depth = 0) {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return {};
  let s = schema;
  if (typeof s.$ref === 'string' && depth < MAX_DEPTH) {
    const target = pointerGet(ctx.root, s.$ref);
    if (target) {
      const { $ref, ...rest } = s;
      s = merge(rest, resolve(target, ctx, depth + 1));
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length && depth < MAX_DEPTH) {
    const { allOf, ...rest } = s;
    let merged = rest;
    for (const part of allOf) merged = merge(merged, resolve(part, ctx, depth + 1));
    s = merged;
  }
  return s;
}

export function alternatives(s) {
  const list = Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : null;
  if (!list?.length) return null;
  // oneOf lists that only add `required` sets to the parent's properties are not a choice of forms
  const meaningful = list.some(
    (alt) => alt && typeof alt === 'object' && ('type' in alt || 'properties' in alt || 'const' in alt || 'enum' in alt || 'items' in alt || '$ref' in alt),
  );
  return meaningful ? list : null;
}

export function mainType(s) {
  let type = s.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    type = nonNull.length === 1 ? nonNull[0] : type.length === 1 ? type[0] : undefined;
  }
  if (!type) {
    if (s.properties || s.additionalProperties) type = 'object';
    else if (s.items) type = 'array';
  }
  return type;
}

export function kindOf(s) {
  if ('const' in s) return 'const';
  if (alternatives(s)) return 'choice';
  if (Array.isArray(s.enum) && s.enum.length) return 'enum';
  switch (mainType(s)) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return s.items && typeof s.items === 'object' && !Array.isArray(s.items) && !s.prefixItems ? 'array' : 'json';
    case 'object':
      if (s.properties || (s.additionalProperties && typeof s.additionalProperties === 'object')) return 'object';
      return 'json';
    default:
      return 'json';
  }
}

export function describeType(s) {
  const kind = kindOf(s);
  if (kind === 'array') return `array of ${describeType(s.items)}`;
  if (kind === 'enum') return 'one of a list';
  if (kind === 'number') return mainType(s);
  if (kind === 'json') return mainType(s) ?? 'JSON';
  return kind;
}
