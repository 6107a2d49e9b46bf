import { AppError } from '../../shared/errors.ts';
import type { Json } from './load.ts';

/**
 * Security schemes → secret references. The user names a secret per scheme
 * (`--secret bearerAuth=BILLING_TOKEN`); an operation's requirement becomes
 * static headers or query parameters holding `${secret:NAME}`, resolved by
 * the http kind at call time. A value is never read or stored here.
 *
 * - http bearer, oauth2, openIdConnect → `authorization: Bearer ${secret:NAME}`
 * - http basic → `authorization: Basic ${secret:NAME}` (the secret holds base64 of user:password)
 * - apiKey in header → that header; in query → staticQuery; in cookie → a `cookie` header
 */

export type SecretMap = Record<string, string>;

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface Placement {
  headers: Record<string, string>;
  staticQuery: Record<string, string>;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The document's schemes: `components.securitySchemes` (3.x) or `securityDefinitions` (2.0). */
export function securitySchemes(api: Json): Record<string, Json> {
  const components = isObject(api.components) ? api.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : isObject(api.securityDefinitions) ? api.securityDefinitions : {};
  return Object.fromEntries(Object.entries(schemes).filter(([, scheme]) => isObject(scheme))) as Record<string, Json>;
}

/** Every --secret must name a scheme of the document and a valid secret name (a typo is an error, not a silently unauthenticated tool). */
export function checkSecrets(secrets: SecretMap, schemes: Record<string, Json>): void {
  for (const [scheme, name] of Object.entries(secrets)) {
    if (!(scheme in schemes)) {
      const known = Object.keys(schemes).join(', ') || '(none)';
      throw new AppError('bad_request', `Invalid secrets: the document has no security scheme "${scheme}" (its schemes: ${known})`, {
        details: [{ path: `/secrets/${scheme}`, message: 'no such security scheme' }],
      });
    }
    if (!SECRET_NAME.test(name)) {
      throw new AppError('bad_request', `Invalid secrets: "${name}" is not a secret name (letters, digits and _, read from TOOLPORT_SECRET_${name})`, {
        details: [{ path: `/secrets/${scheme}`, message: 'must be letters, digits and _' }],
      });
    }
  }
}

/** How one scheme is sent with a secret, or why it cannot be. */
function placeScheme(scheme: Json, secret: string, into: Placement): string | undefined {
  const ref = `\${secret:${secret}}`;
  const type = String(scheme.type ?? '');
  const httpScheme = String(scheme.scheme ?? '').toLowerCase();
  if (type === 'oauth2' || type === 'openIdConnect' || (type === 'http' && httpScheme === 'bearer')) {
    into.headers.authorization = `Bearer ${ref}`;
  } else if ((type === 'http' && httpScheme === 'basic') || type === 'basic') {
    into.headers.authorization = `Basic ${ref}`;
  } else if (type === 'apiKey' && typeof scheme.name === 'string') {
    if (scheme.in === 'header') into.headers[scheme.name.toLowerCase()] = ref;
    else if (scheme.in === 'query') into.staticQuery[scheme.name] = ref;
    else if (scheme.in === 'cookie') into.headers.cookie = [into.headers.cookie, `${scheme.name}=${ref}`].filter(Boolean).join('; ');
    else return `apiKey in "${String(scheme.in)}" is not supported`;
  } else {
    return `type "${type}"${httpScheme ? ` scheme "${httpScheme}"` : ''} is not supported`;
  }
  return undefined;
}

/**
 * An operation's requirement (its own `security`, else the document's): the
 * first alternative whose schemes all have a secret is applied; with none,
 * the tool is made without credentials and the warning says which to map.
 */
export function placeSecurity(
  api: Json,
  operation: Json,
  schemes: Record<string, Json>,
  secrets: SecretMap,
): { placement: Placement; warning: string | undefined } {
  const placement: Placement = { headers: {}, staticQuery: {} };
  const requirements = Array.isArray(operation.security) ? operation.security : Array.isArray(api.security) ? api.security : [];
  const alternatives = requirements.filter(isObject).map((requirement) => Object.keys(requirement));
  // No requirement, or an empty alternative ({}): the operation may be called without credentials.
  if (alternatives.length === 0 || alternatives.some((names) => names.length === 0)) return { placement, warning: undefined };
  const problems: string[] = [];
  for (const names of alternatives) {
    const trial: Placement = { headers: {}, staticQuery: {} };
    const missing = names.filter((name) => secrets[name] === undefined);
    if (missing.length) {
      problems.push(`${missing.map((name) => `"${name}"`).join(' + ')} not mapped`);
      continue;
    }
    const unsupported = names.map((name) => (schemes[name] ? placeScheme(schemes[name]!, secrets[name]!, trial) : 'not defined')).filter(Boolean);
    if (unsupported.length) {
      problems.push(unsupported.join('; '));
      continue;
    }
    return { placement: trial, warning: undefined };
  }
  const wanted = [...new Set(alternatives.flat())].map((name) => `${name}=<SECRET_NAME>`).join(' or ');
  return { placement, warning: `made without credentials: ${problems.join('; ')} (map one with --secret ${wanted})` };
}
