// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { ToolInputError } from '../../define.ts';

/**
 * URL templates of `http` tools: `https://api.example.com/v1/orders/{order_id}`.
 * Each `{name}` is filled from the argument of that name, percent-encoded
 * with encodeURIComponent, so an argument can never add a path segment, a
 * query or a fragment. Placeholders may stand only after the host (path or
 * query): the host a tool reaches is fixed by its config, not by a caller.
 */

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** The placeholder names of a template, in order, without repeats. */
export function placeholders(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** What is wrong with a template (empty when it is usable). */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDER_NAME.test(match[1]!)) problems.push(`placeholder ${JSON.stringify(match[0])} must be {name} with an argument name`);
  }
  const stripped = template.replace(PLACEHOLDER, '');
  if (/[{}]/.test(stripped)) problems.push('has an unmatched "{" or "}" (placeholders are {name})');
  const authorityEnd = template.slice(template.indexOf('//') + 2).search(/[/?#]/);
  const authority = authorityEnd === -1 ? template : template.slice(0, template.indexOf('//') + 2 + authorityEnd);
  if (authority.includes('{')) problems.push('placeholders may stand only in the path or query, not in the scheme, host or port');
  if (template.includes('#')) problems.push('must not have a fragment (#…): it is never sent');
  if (problems.length) return problems;
  const sample = template.replace(PLACEHOLDER, 'x');
  let parsed: URL;
  try {
    parsed = new URL(sample);
  } catch {
    return ['is not a valid URL'];
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.push('must be an http:// or https:// URL');
  if (parsed.username || parsed.password) problems.push('must not carry credentials (user:password@): use headers with a ${secret:NAME} reference');
  return problems;
}

/** One argument as URL text, or a ToolInputError naming it. */
function urlValue(name: string, value: unknown): string {
  if (value === undefined || value === null) {
    throw new ToolInputError(`missing argument "${name}": it fills {${name}} in the URL`, `/${name}`);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ToolInputError(`argument "${name}" must be a string, number or boolean to fill {${name}} in the URL`, `/${name}`);
}

/** The template filled from the arguments (each value percent-encoded). */
export function fillTemplate(template: string, args: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => encodeURIComponent(urlValue(name, args[name])));
}
