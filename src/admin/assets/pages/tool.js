// One tool (GET /tools/:name): its properties, whether it can be called and why not, its input schema and handler config; enable/disable, delete; live.
import { get, patch } from '../lib/api.js';
import { badge, confirmDialog, errorNotice, h, link, replace, successNotice, time } from '../lib/dom.js';
import { debounce, subscribe } from '../lib/live.js';
import { can } from '../lib/session.js';
import { pretty } from '../lib/text.js';
import { send, toolApi } from '../lib/tool-api.js';
import { toolPath, toolTabs } from '../lib/tool-tabs.js';

export async function render(root, params, { navigate }) {
  const { server, tool: name } = params;
  const status = h('div');
  const body = h('div');
  const writer = can('write', server);
  let tool = null;
  let gone = false;

  function draw() {
    const props = [
      ['Name', h('code', {}, tool.name)],
      ['Title', tool.title ?? h('span', { class: 'muted' }, 'none')],
      ['Description', h('span', { class: 'pre-line' }, tool.description)],
      ['Handler', h('code', {}, tool.handler)],
      ['Enabled', tool.enabled ? badge('enabled', 'ok') : badge('disabled', 'warn')],
      ['Available', h('span', {}, tool.available ? badge('available', 'ok') : badge('unavailable', 'bad'), tool.reason ? ` ${tool.reason}` : '')],
      ['Version', String(tool.version)],
      tool.createdAt ? ['Created', time(tool.createdAt)] : null,
      tool.updatedAt ? ['Updated', time(tool.updatedAt)] : null,
      tool.id !== undefined ? ['Id', h('code', {}, String(tool.id))] : null,
    ].filter(Boolean);
    const annotations = tool.annotations && Object.keys(tool.annotations).length ? tool.annotations : null;
    replace(
      body,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'tool-props' },
        h('h2', { id: 'tool-props' }, 'Properties'),
        h(
          'dl',
          { class: 'props' },
          props.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        ),
      ),
      writer
        ? h(
            'div',
            { class: 'actions' },
            link(toolPath(server, tool.name, 'edit'), 'Edit', { class: 'button' }),
            h('button', { type: 'button', class: 'secondary', onclick: toggle }, tool.enabled ? 'Disable' : 'Enable'),
            h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete'),
          )
        : null,
      h(
        'div',
        { class: 'grid2' },
        h(
          'section',
          { 'aria-labelledby': 'tool-input' },
          h('h2', { id: 'tool-input' }, 'Input schema'),
          h('pre', { tabindex: 0, 'aria-labelledby': 'tool-input' }, pretty(tool.inputSchema)),
        ),
        h(
          'section',
          { 'aria-labelledby': 'tool-config' },
          h('h2', { id: 'tool-config' }, 'Handler config'),
          tool.config && Object.keys(tool.config).length
            ? h('pre', { tabindex: 0, 'aria-labelledby': 'tool-config' }, pretty(tool.config))
            : h('p', { class: 'muted' }, 'Empty ({}).'),
        ),
      ),
      tool.outputSchema
        ? h(
            'section',
            { 'aria-labelledby': 'tool-output' },
            h('h2', { id: 'tool-output' }, 'Output schema'),
            h('pre', { tabindex: 0, 'aria-labelledby': 'tool-output' }, pretty(tool.outputSchema)),
          )
        : null,
      annotations
        ? h(
            'section',
            { 'aria-labelledby': 'tool-annotations' },
            h('h2', { id: 'tool-annotations' }, 'Annotations'),
            h('pre', { tabindex: 0, 'aria-labelledby': 'tool-annotations' }, pretty(annotations)),
          )
        : null,
    );
  }

  async function load() {
    try {
      tool = await get(toolApi(name), { server });
      gone = false;
      draw();
      return true;
    } catch (error) {
      if (error?.status === 404) {
        gone = true;
        replace(
          body,
          h('p', {}, `Tool ${name} does not exist on ${server} (deleted?). `, link(`/servers/${encodeURIComponent(server)}/tools`, 'Back to the tools.')),
        );
      }
      replace(status, errorNotice(error));
      return false;
    }
  }

  async function toggle() {
    try {
      tool = await patch(toolApi(tool.name), { enabled: !tool.enabled }, { server });
      replace(status, successNotice(`Tool ${tool.name} ${tool.enabled ? 'enabled' : 'disabled'}.`));
      draw();
    } catch (error) {
      replace(status, errorNotice(error));
    }
  }

  async function remove() {
    if (!(await confirmDialog(`Delete tool ${tool.name} of ${server}?`))) return;
    try {
      await send('DELETE', toolApi(tool.name), undefined, { server, ifMatch: tool.version });
      navigate(`/servers/${encodeURIComponent(server)}/tools`);
    } catch (error) {
      if (error?.status === 412) {
        await load();
        replace(
          status,
          errorNotice({
            code: error.code,
            message: `Tool ${tool.name} changed since you loaded it: nothing was deleted. It is shown as it is now; delete again if you still mean to.`,
          }),
        );
      } else replace(status, errorNotice(error));
    }
  }

  replace(
    root,
    h('p', {}, link(`/servers/${encodeURIComponent(server)}/tools`, `← Tools of ${server}`)),
    h('h1', {}, `Tool ${name}`),
    toolTabs(server, name, 'overview'),
    status,
    body,
  );
  await load();
  const reload = debounce(() => {
    const before = tool?.version;
    load().then((ok) => {
      if (ok && !gone && tool.version !== before) replace(status, successNotice(`Tool ${name} changed (now version ${tool.version}): shown as it is now.`));
    });
  }, 200);
  const named = (list) => Array.isArray(list) && list.includes(name);
  const stop = subscribe(server, (event) => {
    if (event?.truncated || named(event?.updated) || named(event?.created) || named(event?.deleted) || gone) reload();
  });
  return stop;
}
