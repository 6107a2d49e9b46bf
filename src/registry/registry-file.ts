import * as v from 'valibot';
import { rateLimitColumnSchema } from '../auth/rate-spec.ts';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { findJsonProblem, jsonProblemMessage } from '../shared/json-guard.ts';
import { lazyRequire } from '../shared/lazy-require.ts';
import { issuesToDetails } from '../shared/validation.ts';
import { CreateToolBody } from './definition.ts';
import { CreateServerBody } from './server-body.ts';

/** Loaded when a file is read: a start-up with an existing registry reads none. */
const jsYaml = lazyRequire<typeof import('js-yaml')>('js-yaml');
const yaml = lazyRequire<typeof import('yaml')>('yaml');

/**
 * The registry file: one format (YAML or JSON) for seeds/, `toolport export`
 * and `toolport apply` — servers with their tools, data sources (URLs only
 * as secret references) and upstream MCP servers (credentials likewise; the
 * tools synced from them are theirs, not the file's). Its JSON Schema is schemas/registry-file.schema.json.
 * An omitted field means its default (a registry file says what the registry
 * is, not what to change); a tool's omitted description or schemas come
 * from the handler of its name, as for POST /tools.
 */

const FileTool = v.strictObject(
  {
    ...CreateToolBody.entries,
    description: v.optional(CreateToolBody.entries.description),
    rateLimit: v.optional(rateLimitColumnSchema),
  },
  'is not a known field of a tool',
);

const { id, name, description, port, enabled, compose, rateLimit, auth } = CreateServerBody.entries;
const FileServer = v.strictObject(
  {
    id,
    name,
    description,
    port,
    prefix: CreateServerBody.entries.toolPrefix,
    enabled,
    compose,
    rateLimit,
    auth,
    tools: v.optional(v.array(FileTool, 'must be a list of tools'), []),
  },
  'is not a known field of a server',
);

/** Checked in full by the data-source write rules (data-source-body.ts); here only its id and that it is an object. */
const FileDataSource = v.looseObject({ id: v.string('must be a string') }, 'must be an object with an "id"');

/** Checked in full by the upstream write rules (upstream-body.ts), as POST /upstreams checks it. */
const FileUpstream = v.looseObject({ id: v.string('must be a string') }, 'must be an object with an "id"');

export const RegistryFileSchema = v.strictObject(
  {
    $schema: v.optional(v.string('must be a string')),
    servers: v.optional(v.array(FileServer, 'must be a list of servers'), []),
    dataSources: v.optional(v.array(FileDataSource, 'must be a list of data sources'), []),
    upstreams: v.optional(v.array(FileUpstream, 'must be a list of upstreams'), []),
  },
  'is not a known top-level field (servers, dataSources, upstreams)',
);

export type FileTool = v.InferOutput<typeof FileTool>;
export type FileServer = v.InferOutput<typeof FileServer>;
export type RegistryDocument = v.InferOutput<typeof RegistryFileSchema>;

export type RegistryFileFormat = 'yaml' | 'json';

export interface ParsedRegistryFile {
  document: RegistryDocument;
  /** `file:line:column` of a JSON Pointer into the file (as near as the file shows it), for messages. */
  locate(pointer: string): string;
}

/** Files of more than this many levels are refused (a schema nests, but not this deep). */
const MAX_DEPTH = 64;

/** `.json` or a text that starts with `{` is JSON; anything else is YAML (which JSON also is). */
export function formatOf(fileName: string, text: string): RegistryFileFormat {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

function invalid(fileName: string, found: FieldIssue[], locate: (pointer: string) => string): AppError {
  // One problem per path: the schema compiler's follow-on messages for the same keyword ("must be array", "anyOf") add nothing.
  const details = found.filter((detail, index) => found.findIndex((other) => other.path === detail.path) === index);
  const shown = details.map((detail) => ({ ...detail, where: locate(detail.path) }));
  const first = shown[0]!;
  return new AppError(
    'bad_request',
    `${fileName} is not a valid registry file (${details.length} problem${details.length === 1 ? '' : 's'}); nothing was written. ` +
      `First: ${first.where} ${first.path}: ${first.message}`,
    { details: shown.map(({ path, message, where }) => ({ path, message: `${message} (${where})` })) },
  );
}

/** Parse a registry file's text; a problem names the file, the path inside it (and its line) and the reason. */
export function parseRegistryFile(text: string, fileName: string, format: RegistryFileFormat = formatOf(fileName, text)): ParsedRegistryFile {
  let value: unknown;
  let located: ((pointer: string) => string) | undefined;
  const locate = (pointer: string): string => {
    located ??= yamlLocator(text, fileName);
    return located(pointer);
  };
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new AppError('bad_request', `${fileName} is not valid JSON: ${(error as Error).message}`, { details: [{ path: '/', message: 'not valid JSON' }] });
    }
  } else {
    try {
      // js-yaml reads (eight times faster than `yaml` on a 10,000-tool file); `yaml` only locates problems (yamlLocator).
      const { load, CORE_SCHEMA } = jsYaml();
      value = load(text, { schema: CORE_SCHEMA, filename: fileName });
    } catch (error) {
      if (!(error instanceof jsYaml().YAMLException)) throw error;
      const at = error.mark ? `:${error.mark.line + 1}:${error.mark.column + 1}` : '';
      throw new AppError('bad_request', `${fileName}${at} is not valid YAML: ${error.reason}`, { details: [{ path: '/', message: 'not valid YAML' }] });
    }
    const shared = sharedNode(value);
    if (shared !== undefined) {
      throw invalid(fileName, [{ path: shared, message: 'is a YAML alias (*name): a registry file writes every value out' }], locate);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(
      'bad_request',
      `${fileName} must hold an object with "servers" (and "dataSources", "upstreams"), not ${Array.isArray(value) ? 'a list' : String(value)}`,
      {
        details: [{ path: '/', message: 'must be an object' }],
      },
    );
  }
  const problem = findJsonProblem(value, { maxDepth: MAX_DEPTH });
  if (problem) throw invalid(fileName, [{ path: problem.path, message: jsonProblemMessage(problem) }], locate);
  const parsed = v.safeParse(RegistryFileSchema, value, { abortPipeEarly: true });
  if (!parsed.success) throw invalid(fileName, issuesToDetails(parsed.issues), locate);
  return { document: parsed.output, locate };
}

/** A registry file's problems found after parsing (a tool's schema, a duplicate id): one error naming each, nothing written. */
export function registryFileError(file: ParsedRegistryFile, fileName: string, details: FieldIssue[]): AppError {
  return invalid(fileName, details, file.locate);
}

/**
 * The JSON Pointer of the first object reached twice (a YAML alias: the
 * loader shares the anchored object), undefined when there is none. Each
 * object is visited once, so a "billion laughs" file is refused at once
 * instead of being expanded.
 */
function sharedNode(value: unknown): string | undefined {
  const seen = new Set<object>();
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (seen.has(node)) return path || '/';
    seen.add(node);
    if (Array.isArray(node)) node.forEach((item, index) => stack.push([item, `${path}/${index}`]));
    else for (const [key, item] of Object.entries(node)) stack.push([item, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
  }
  return undefined;
}

/** Line and column of a pointer's node in the file, built only when a message needs one. */
function yamlLocator(text: string, fileName: string): (pointer: string) => string {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  return (pointer) => {
    const segments = pointer
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    // The deepest node that exists on the path: a missing field is reported where its parent is.
    for (let length = segments.length; length >= 0; length--) {
      const path = segments.slice(0, length).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      const node = length === 0 ? document.contents : document.getIn(path, true);
      const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
      if (offset !== undefined) {
        const at = lines.linePos(offset);
        return `${fileName}:${at.line}:${at.col}`;
      }
    }
    return fileName;
  };
}
