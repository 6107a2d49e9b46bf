// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { SECRET_PREFIX } from './config.ts';

/**
 * Secret references: a stored string holds `${secret:NAME}`, never the value;
 * the value is the environment variable TOOLPORT_SECRET_NAME, read through a
 * reader (config.secret) at call time. This module finds references in
 * strings and configs, resolves them, and redacts the resolved values from
 * any text that leaves the process (error messages, upstream bodies echoed
 * into results, logs).
 */

export type SecretReader = (name: string) => string | undefined;

/** Anything that looks like a reference, well-formed or not (checked by badSecretReferences). */
const REFERENCE = /\$\{secret:([^}]*)\}/g;
/** Names: an environment-variable suffix, e.g. BILLING_TOKEN. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** The environment variable a secret name reads. */
export function secretEnvName(name: string): string {
  return `${SECRET_PREFIX}${name}`;
}

/** The reason a tool using an unset secret is unavailable. */
export function unsetSecretReason(name: string): string {
  return `secret ${name} is not set (${secretEnvName(name)})`;
}

/** The names referenced by one string, in order of first appearance. */
export function secretNamesIn(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const name = match[1]!;
    if (SECRET_NAME.test(name) && !names.includes(name)) names.push(name);
  }
  return names;
}

/** Whether a string holds anything reference-like at all (`${secret:`). */
export function mentionsSecret(text: string): boolean {
  return text.includes('${secret:');
}

/** Messages for malformed references in one string (`${secret:bad-name}`, an unclosed `${secret:`), empty when fine. */
export function badSecretReferences(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    if (!SECRET_NAME.test(match[1]!)) {
      problems.push(`${JSON.stringify(match[0])} is not a secret reference: names are letters, digits and "_" (e.g. \${secret:BILLING_TOKEN})`);
    }
  }
  const opened = text.split('${secret:').length - 1;
  const closed = [...text.matchAll(REFERENCE)].length;
  if (opened > closed) problems.push('has an unclosed "${secret:" (write ${secret:NAME})');
  return problems;
}

/** Every name referenced by any string inside a JSON value (a whole handler_config), sorted. */
export function secretNamesOf(value: unknown): string[] {
  const names = new Set<string>();
  const walk = (item: unknown): void => {
    if (typeof item === 'string') {
      for (const name of secretNamesIn(item)) names.add(name);
    } else if (Array.isArray(item)) {
      item.forEach(walk);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, entry] of Object.entries(item)) {
        walk(key);
        walk(entry);
      }
    }
  };
  walk(value);
  return [...names].sort();
}

/** The first referenced secret the reader does not have, or undefined when all are set. */
export function firstUnsetSecret(names: readonly string[], read: SecretReader): string | undefined {
  return names.find((name) => read(name) === undefined);
}

/** A reference to a secret that is not set, found while resolving (the tool should have been unavailable). */
export class UnsetSecretError extends Error {
  constructor(readonly secret: string) {
    super(unsetSecretReason(secret));
    this.name = 'UnsetSecretError';
  }
}

/**
 * Resolved values of one call, kept so that everything the call sends back
 * can be redacted. One per call: values are never cached across calls.
 */
export class SecretScope {
  private readonly values = new Set<string>();
  private forms: string[] | undefined;

  constructor(private readonly read: SecretReader) {}

  /** `text` with every `${secret:NAME}` replaced by its value; throws UnsetSecretError for an unset one. */
  resolve(text: string): string {
    if (!mentionsSecret(text)) return text;
    return text.replace(REFERENCE, (whole, name: string) => {
      if (!SECRET_NAME.test(name)) return whole;
      const value = this.read(name);
      if (value === undefined) throw new UnsetSecretError(name);
      this.values.add(value);
      this.forms = undefined;
      return value;
    });
  }

  /** Whether any secret was resolved in this scope. */
  get used(): boolean {
    return this.values.size > 0;
  }

  /** `text` with every resolved value — as is, percent-encoded, form-encoded and JSON-escaped — replaced by `[redacted]`. */
  redact(text: string): string {
    if (this.values.size === 0) return text;
    this.forms ??= redactionForms(this.values);
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join('[redacted]');
    return out;
  }

  /** A JSON value with `redact` applied to every string in it (keys included); the input is not changed. */
  redactJson(value: unknown): unknown {
    if (this.values.size === 0) return value;
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.redactJson(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.redactJson(item)]));
    }
    return value;
  }
}

/** Redact `values` (and their encoded forms) from `text`: for callers without a scope. */
export function redact(text: string, values: Iterable<string>): string {
  const forms = redactionForms(new Set(values));
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join('[redacted]');
  return out;
}

/** The spellings a value may take in a URL, a form body or JSON text; longest first, so no part of a longer one is left. */
function redactionForms(values: ReadonlySet<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value === '') continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}
