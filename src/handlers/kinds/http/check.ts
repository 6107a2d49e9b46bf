import jmespath from 'jmespath';
import type { FieldIssue } from '../../../shared/errors.ts';
import { badSecretReferences, firstUnsetSecret, mentionsSecret, type SecretReader, secretNamesOf, unsetSecretReason } from '../../../shared/secrets.ts';
import { bodyMode, type HttpConfig } from './config.ts';
import { placeholders, templateProblems } from './template.ts';

/**
 * The rules of an `http` tool beyond its config's shape, checked on every
 * write (a 400 naming the field) and whenever the row is loaded (a failing
 * row is unavailable with the reason): the URL template, the JMESPath syntax,
 * secret references, and how the config places the tool's arguments. Paths
 * are relative to handler_config ("/url", "/query/0").
 */

/** Headers the HTTP client owns: a config cannot set them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

const compile = (jmespath as unknown as { compile(expression: string): unknown }).compile;

function propertiesOf(inputSchema: Record<string, unknown>): string[] {
  const properties = inputSchema.properties;
  return typeof properties === 'object' && properties !== null && !Array.isArray(properties) ? Object.keys(properties) : [];
}

function listed(names: readonly string[]): string {
  return names.length ? names.join(', ') : 'none';
}

/** The argument names a config places somewhere other than the body. */
export function placedArguments(config: HttpConfig): Set<string> {
  return new Set([...placeholders(config.url), ...config.query, ...Object.keys(config.headerArgs)]);
}

function checkHeaders(config: HttpConfig, issues: FieldIssue[]): void {
  const staticNames = new Set<string>();
  for (const [name, value] of Object.entries(config.headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) issues.push({ path: `/headers/${name}`, message: `"${name}" is set by the HTTP client, not by a tool` });
    if (staticNames.has(lower)) issues.push({ path: `/headers/${name}`, message: `"${name}" is listed twice (header names ignore case)` });
    staticNames.add(lower);
    if (/[\r\n\0]/.test(value)) issues.push({ path: `/headers/${name}`, message: 'must not contain CR, LF or NUL' });
    for (const message of badSecretReferences(value)) issues.push({ path: `/headers/${name}`, message });
  }
  for (const [argument, header] of Object.entries(config.headerArgs)) {
    const lower = header.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) issues.push({ path: `/headerArgs/${argument}`, message: `"${header}" is set by the HTTP client, not by a tool` });
    if (staticNames.has(lower)) issues.push({ path: `/headerArgs/${argument}`, message: `"${header}" is also a static header in /headers` });
  }
}

function checkSecrets(config: HttpConfig, issues: FieldIssue[]): void {
  for (const [name, value] of Object.entries(config.staticQuery)) {
    for (const message of badSecretReferences(value)) issues.push({ path: `/staticQuery/${name}`, message });
  }
  if (mentionsSecret(config.url)) {
    issues.push({ path: '/url', message: 'must not hold a secret reference: put API keys in /staticQuery or /headers, where they are resolved and redacted' });
  }
  for (const [name] of Object.entries(config.staticQuery)) {
    if (mentionsSecret(name)) issues.push({ path: `/staticQuery/${name}`, message: 'a secret reference may stand in a value, not in a parameter name' });
  }
}

function checkArguments(config: HttpConfig, inputSchema: Record<string, unknown>, issues: FieldIssue[]): void {
  const properties = propertiesOf(inputSchema);
  const known = new Set(properties);
  const why = `no property of that name in the tool's input_schema (properties: ${listed(properties)})`;
  for (const name of placeholders(config.url)) {
    if (!known.has(name)) issues.push({ path: '/url', message: `placeholder {${name}} has ${why}` });
  }
  config.query.forEach((name, index) => {
    if (!known.has(name)) issues.push({ path: `/query/${index}`, message: `argument "${name}" has ${why}` });
  });
  for (const name of Object.keys(config.headerArgs)) {
    if (!known.has(name)) issues.push({ path: `/headerArgs/${name}`, message: `argument "${name}" has ${why}` });
  }
  const body = bodyMode(config);
  if (body === 'arguments' && (config.method === 'GET' || config.method === 'HEAD')) {
    issues.push({ path: '/body', message: `a ${config.method} request has no body: use "none" and place the arguments in url, query or headerArgs` });
  }
  if (body === 'none') {
    const placed = placedArguments(config);
    const nowhere = properties.filter((name) => !placed.has(name));
    if (nowhere.length) {
      const how = config.body === undefined ? `body is "none" (the default for ${config.method})` : 'body is "none"';
      issues.push({
        path: '/body',
        message: `input_schema propert${nowhere.length > 1 ? 'ies' : 'y'} ${nowhere.map((name) => `"${name}"`).join(', ')} go${nowhere.length > 1 ? '' : 'es'} nowhere: ${how}; place ${nowhere.length > 1 ? 'them' : 'it'} in url ({name}), query or headerArgs, or remove ${nowhere.length > 1 ? 'them' : 'it'} from the input schema`,
      });
    }
  }
}

/** Every rule the parsed config and the tool's input schema break (empty when the tool is usable). */
export function checkHttpTool(config: HttpConfig, inputSchema: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const message of templateProblems(config.url)) issues.push({ path: '/url', message });
  checkHeaders(config, issues);
  checkSecrets(config, issues);
  if (config.select !== undefined) {
    try {
      compile(config.select);
    } catch (error) {
      issues.push({ path: '/select', message: `is not a valid JMESPath expression: ${(error as Error).message}` });
    }
  }
  checkArguments(config, inputSchema, issues);
  return issues;
}

/** The secrets a config references (only headers and staticQuery values are resolved). */
export function secretsOf(config: HttpConfig): string[] {
  return secretNamesOf([config.headers, config.staticQuery]);
}

/** Why a tool with this config cannot be called in this process: a referenced secret that is not set. */
export function unsetSecret(config: HttpConfig, read: SecretReader): string | undefined {
  const name = firstUnsetSecret(secretsOf(config), read);
  return name === undefined ? undefined : unsetSecretReason(name);
}
