// Create (POST /tools) or edit (PATCH /tools/:name with If-Match: its version) a tool: the input schema as a JSON editor with its errors where they are, the handler's config as a form from the handler kind's config schema (GET /handlers).
import { get, post } from '../lib/api.js';
import { configEditor } from '../lib/config-form.js';
import { errorNotice, field, h, replace } from '../lib/dom.js';
import { showFieldErrors } from '../lib/forms.js';
import { jsonEditor } from '../lib/json-editor.js';
import { debounce, subscribe } from '../lib/live.js';
import { can } from '../lib/session.js';
import { send, splitDetails, toolApi } from '../lib/tool-api.js';
import { toolPath, toolTabs } from '../lib/tool-tabs.js';

const EMPTY_SCHEMA = { type: 'object', properties: {}, required: [] };

export async function render(root, params, { navigate, link }) {
  const { server } = params;
  const editing = params.tool !== undefined;
  const toolsPath = `/servers/${encodeURIComponent(server)}/tools`;
  const status = h('div');

  let tool = null;
  let handlers = [];
  let handlersError = null;
  try {
    const [answer, row] = await Promise.all([
      get('/handlers', { server }).catch((error) => {
        handlersError = error;
        return { handlers: [] };
      }),
      editing ? get(toolApi(params.tool), { server }) : null,
    ]);
    handlers = answer?.handlers ?? [];
    tool = row;
  } catch (error) {
    replace(
      root,
      h('h1', {}, editing ? `Edit tool ${params.tool}` : `New tool on ${server}`),
      editing ? toolTabs(server, params.tool, 'edit') : null,
      errorNotice(error),
      h('p', {}, link(toolsPath, 'Back to the tools.')),
    );
    return;
  }
  const byName = new Map(handlers.map((handler) => [handler.name, handler]));

  // ---- the fields --------------------------------------------------------------------------------
  const inputs = {
    name: h('input', { name: 'name', required: true, 'aria-required': 'true', pattern: '[A-Za-z0-9_.\\-]{1,128}', autocomplete: 'off', spellcheck: 'false' }),
    title: h('input', { name: 'title', value: tool?.title ?? '', maxlength: 200 }),
    description: h('textarea', { name: 'description', required: true, 'aria-required': 'true', rows: 4 }, tool?.description ?? ''),
    handler: h('select', { name: 'handler' }),
    enabled: h('input', { name: 'enabled', type: 'checkbox', checked: tool?.enabled ?? true }),
  };
  const kinds = handlers.filter((handler) => handler.configSchema);
  const builtIns = handlers.filter((handler) => !handler.configSchema);
  const option = (handler) =>
    h('option', { value: handler.name }, handler.title && handler.title !== handler.name ? `${handler.name} — ${handler.title}` : handler.name);
  replace(
    inputs.handler,
    editing ? null : h('option', { value: '' }, '(the handler named like the tool)'),
    tool && !byName.has(tool.handler) ? h('option', { value: tool.handler }, `${tool.handler} (not loaded)`) : null,
    kinds.length ? h('optgroup', { label: 'Handler kinds (configured per tool)' }, kinds.map(option)) : null,
    builtIns.length ? h('optgroup', { label: 'Built-in handlers' }, builtIns.map(option)) : null,
  );
  inputs.handler.value = tool?.handler ?? (byName.has('http') ? 'http' : '');

  const fields = {
    name: field('Name (required)', inputs.name, { hint: '1–128 of A–Z a–z 0–9 _ - . (the MCP tool name); it cannot change later' }),
    title: field('Title', inputs.title, { hint: 'Shown to people; empty: none' }),
    description: field('Description (required)', inputs.description, { hint: 'What the tool does, for the model that calls it' }),
    handler: field('Handler', inputs.handler, { hint: ' ' }),
    enabled: h('div', { class: 'field' }, h('label', {}, inputs.enabled, ' Enabled (listed and callable)')),
  };
  const enabledError = h('p', { class: 'error', hidden: true });
  fields.enabled.append(enabledError);
  fields.enabled.setError = (text) => {
    enabledError.textContent = text ?? '';
    enabledError.hidden = !text;
  };
  const handlerHint = fields.handler.querySelector('.hint');
  for (const key of ['name', 'title', 'description', 'handler']) inputs[key].addEventListener('input', () => fields[key].setError(null));

  const schema = jsonEditor('Input schema (JSON Schema)', tool?.inputSchema ?? EMPTY_SCHEMA, {
    hint: 'The JSON Schema of the arguments: an object schema ("type": "object"). Errors show as you type; the server\'s are listed here with their paths.',
    name: 'inputSchema',
  });
  let schemaTouched = editing;
  schema.onInput(() => {
    schemaTouched = true;
  });

  // ---- the handler's config ------------------------------------------------------------------------
  const configBox = h('div');
  const configHeading = h('h2', { id: 'config-heading' }, 'Handler config');
  const configIntro = h('p', { class: 'muted' });
  /** The config typed for each handler, so switching the select back and forth loses nothing. */
  const configs = new Map();
  if (tool) configs.set(tool.handler, tool.config ?? {});
  let config = null;
  let configFor = null;

  function effectiveHandler() {
    return inputs.handler.value || inputs.name.value.trim();
  }

  function drawConfig() {
    if (config && configFor !== null) {
      const now = config.read();
      if (now.value) configs.set(configFor, now.value);
    }
    configFor = effectiveHandler();
    const handler = byName.get(configFor);
    handlerHint.textContent = handler
      ? `${handler.description ?? ''}${handler.runs ? ` (runs ${handler.runs})` : ''}`
      : configFor
        ? `No handler "${configFor}" is loaded on this server: the tool would be unavailable.`
        : 'Choose a handler, or name the tool like a built-in handler.';
    const value = configs.get(configFor) ?? {};
    if (handler?.configSchema) {
      configIntro.textContent = `The config of the ${handler.name} kind, from its JSON Schema. Fields marked (required) must be filled.`;
      config = configEditor(handler.configSchema, value, { basePath: '/config', legend: `${handler.name} config` });
    } else {
      configIntro.textContent = handler
        ? `${handler.name} declares no config schema: the config is usually empty ({}).`
        : 'No schema is known for this handler: write the config as JSON.';
      config = configEditor({ type: 'object', description: 'The config object (JSON).' }, value, { basePath: '/config', legend: 'Handler config' });
    }
    replace(configBox, config.node);
    // a new tool takes a built-in handler's own input schema until the editor is touched
    if (!schemaTouched && handler?.inputSchema && !handler.configSchema) schema.setText(JSON.stringify(handler.inputSchema, null, 2));
    if (!schemaTouched && handler?.configSchema) schema.setText(JSON.stringify(EMPTY_SCHEMA, null, 2));
  }
  inputs.handler.addEventListener('change', drawConfig);
  inputs.name.addEventListener(
    'input',
    debounce(() => {
      if (!inputs.handler.value) drawConfig();
    }, 300),
  );

  // ---- saving ------------------------------------------------------------------------------------
  const submit = h('button', { type: 'submit' }, editing ? 'Save' : 'Create tool');

  function clearErrors() {
    for (const f of Object.values(fields)) f.setError(null);
    schema.setDetails([]);
    config.setDetails([]);
    replace(status);
  }

  function firstInvalid() {
    const target = root.querySelector('[aria-invalid="true"]');
    (target ?? status.querySelector('[role="alert"]'))?.focus?.();
  }

  async function save(event, { overwrite } = {}) {
    event?.preventDefault();
    clearErrors();
    const parsed = schema.read();
    const configValue = config.read();
    let blocked = false;
    if (parsed.error) blocked = true;
    if (configValue.problems) {
      config.setDetails(configValue.problems);
      blocked = true;
    }
    if (!editing && !inputs.name.value.trim()) {
      fields.name.setError('required');
      blocked = true;
    }
    if (!inputs.description.value.trim()) {
      fields.description.setError('required');
      blocked = true;
    }
    if (blocked) {
      replace(status, errorNotice({ code: 'invalid', message: 'Some fields need fixing before saving (marked below).' }));
      firstInvalid();
      return;
    }
    const body = {
      title: inputs.title.value.trim() === '' ? null : inputs.title.value,
      description: inputs.description.value,
      enabled: inputs.enabled.checked,
      config: configValue.value,
    };
    if (!parsed.empty) body.inputSchema = parsed.value;
    if (inputs.handler.value) body.handler = inputs.handler.value;
    submit.disabled = true;
    try {
      const saved = editing
        ? await send('PATCH', toolApi(tool.name), body, { server, ifMatch: overwrite ?? tool.version })
        : await post('/tools', { name: inputs.name.value.trim(), ...body }, { server });
      stop();
      navigate(toolPath(server, saved?.name ?? tool?.name ?? inputs.name.value.trim()));
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  }

  function showError(error) {
    if (error?.status === 412) {
      const current = error.body?.error?.currentVersion;
      replace(
        status,
        h(
          'div',
          { class: 'notice error', role: 'alert' },
          h('strong', {}, 'Not saved: '),
          `tool ${tool.name} changed since you opened this form (you edited version ${tool.version}${current ? `, it is now at version ${current}` : ''}). `,
          'Load the current version (your edits here are lost), or save yours over it.',
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', onclick: () => navigate(toolPath(server, tool.name, 'edit')) }, 'Load the current version'),
            current ? h('button', { type: 'button', class: 'danger', onclick: () => save(null, { overwrite: current }) }, 'Save mine over it') : null,
            link(toolPath(server, tool.name, 'history'), 'See its history'),
          ),
        ),
      );
      status.querySelector('button')?.focus();
      return;
    }
    const parts = splitDetails(error?.details);
    schema.setDetails(parts.schema);
    config.setDetails(parts.config);
    const rest = showFieldErrors({ details: parts.rest }, fields);
    const shown = parts.schema.length + parts.config.length + (parts.rest.length - rest.length);
    replace(
      status,
      errorNotice({
        code: error?.code,
        message: shown ? `${error?.message ?? 'Not saved.'} (each error is shown beside its field below)` : error?.message,
        details: rest,
      }),
    );
    firstInvalid();
  }

  // ---- the page ----------------------------------------------------------------------------------
  const form = h(
    'form',
    { class: 'panel', onsubmit: save, novalidate: true, 'aria-label': editing ? `Edit tool ${tool.name}` : 'New tool' },
    editing ? null : fields.name,
    fields.title,
    fields.description,
    h('div', { class: 'grid2' }, fields.handler, h('div', {}, fields.enabled)),
    schema.wrap,
    h('section', { 'aria-labelledby': 'config-heading' }, configHeading, configIntro, configBox),
    h('div', { class: 'actions' }, submit, link(editing ? toolPath(server, tool.name) : toolsPath, 'Cancel', { class: 'button secondary' })),
  );
  replace(
    root,
    h('p', {}, link(toolsPath, `← Tools of ${server}`)),
    h('h1', {}, editing ? `Edit tool ${tool.name}` : `New tool on ${server}`),
    editing ? toolTabs(server, tool.name, 'edit') : null,
    handlersError ? errorNotice(handlersError) : null,
    can('write', server)
      ? null
      : errorNotice({
          code: 'forbidden',
          message: `Your scopes do not allow changing the tools of ${server} (it needs ${server}:write): the server will refuse to save.`,
        }),
    status,
    form,
  );
  drawConfig();
  (editing ? inputs.description : inputs.name).focus();

  // someone else changing this tool while it is edited: say so before the save is refused
  const warn = h('div');
  status.before(warn);
  const check = debounce(async () => {
    try {
      const now = await get(toolApi(tool.name), { server });
      if (now.version !== tool.version)
        replace(
          warn,
          h(
            'div',
            { class: 'notice error', role: 'status' },
            `Tool ${tool.name} was changed elsewhere while you edit it (now version ${now.version}, you opened version ${tool.version}). Saving will ask whether to overwrite it.`,
          ),
        );
    } catch (error) {
      if (error?.status === 404) replace(warn, errorNotice({ code: 'not_found', message: `Tool ${tool.name} was deleted elsewhere.` }));
    }
  }, 250);
  const stop = editing
    ? subscribe(server, (event) => {
        const named = (list) => Array.isArray(list) && list.includes(tool.name);
        if (event?.truncated || named(event?.updated) || named(event?.deleted)) check();
      })
    : () => {};
  return stop;
}
