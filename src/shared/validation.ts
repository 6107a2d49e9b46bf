import * as v from 'valibot';
import { AppError, type FieldIssue } from './errors.ts';

/** A JSON object (not an array, not null); the OpenAPI document shows it as `{"type":"object"}`. */
export const JsonObject = v.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

/** valibot issues → field issues with a slash path ("/parameters/0/type"). */
export function issuesToDetails(issues: readonly v.BaseIssue<unknown>[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => String(item.key));
    return { path: prefix + (keys.length ? '/' + keys.join('/') : '') || '/', message: issue.message };
  });
}

/**
 * Parse with a valibot schema or throw a bad_request AppError whose message
 * names the first failing field and whose details list all of them.
 */
export function parseOrThrow<S extends v.GenericSchema>(schema: S, value: unknown, what: string, prefix = ''): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const details = issuesToDetails(result.issues, prefix);
  const first = details[0]!;
  throw new AppError('bad_request', `Invalid ${what}: ${first.path} ${first.message}`, { details });
}
