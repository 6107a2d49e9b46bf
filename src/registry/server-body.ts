import * as v from 'valibot';
import { OAuthSettingsSchema } from '../auth/oauth/settings.ts';
import { rateLimitColumnSchema } from '../auth/rate-spec.ts';
import { RESERVED_SERVER_IDS, TOOL_PREFIX } from './composed-names.ts';
import { TOOL_NAME } from './definition.ts';

/** The bodies of POST /servers and PATCH /servers/:id (camelCase, as every REST body; unknown fields are refused). */

export const SERVER_ID = v.pipe(
  v.string('must be a string'),
  v.regex(TOOL_NAME, 'must be 1–128 characters of A–Z, a–z, 0–9, "_", "-" or "." (the tool-name rule)'),
  v.check((id) => !RESERVED_SERVER_IDS.has(id), `is reserved (the gateway's own routes and the management server: ${[...RESERVED_SERVER_IDS].join(', ')})`),
);

const fields = {
  name: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(200, 'must be at most 200 characters'))),
  description: v.optional(v.pipe(v.string('must be a string'), v.maxLength(2000, 'must be at most 2000 characters'))),
  port: v.optional(
    v.nullable(
      v.pipe(v.number('must be a number or null'), v.integer('must be an integer'), v.minValue(1, 'must be 1–65535'), v.maxValue(65535, 'must be 1–65535')),
    ),
  ),
  enabled: v.optional(v.boolean('must be true or false')),
  toolPrefix: v.optional(
    v.nullable(v.pipe(v.string('must be a string or null'), v.regex(TOOL_PREFIX, 'must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"'))),
  ),
  compose: v.optional(v.boolean('must be true or false')),
  rateLimit: v.optional(rateLimitColumnSchema),
  auth: v.optional(v.nullable(OAuthSettingsSchema)),
};

export const CreateServerBody = v.strictObject({ id: SERVER_ID, ...fields }, 'is not a known field');
export const PatchServerBody = v.strictObject(fields, 'is not a known field');

export type CreateServerBody = v.InferOutput<typeof CreateServerBody>;
export type PatchServerBody = v.InferOutput<typeof PatchServerBody>;
