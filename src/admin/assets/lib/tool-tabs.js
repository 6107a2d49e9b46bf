// The tab bar of one tool's pages, and the page path of a tool.
import { h } from './dom.js';
import { can } from './session.js';

/** The page path of a tool: toolPath('finance', 'get_time', 'edit') → '/servers/finance/tools/get_time/edit'. */
export function toolPath(server, tool, suffix = '') {
  const base = `/servers/${encodeURIComponent(server)}/tools/${encodeURIComponent(tool)}`;
  return suffix ? `${base}/${suffix}` : base;
}

/**
 * The tab bar of one tool's pages: toolTabs('finance', 'get_time', 'overview' | 'edit' | 'try' | 'history').
 * `tool` is the tool's name (a tool object with .name works too). Edit shows for writers, Try it for callers.
 */
export function toolTabs(server, tool, current) {
  const name = typeof tool === 'string' ? tool : tool?.name;
  const items = [
    { key: 'overview', label: 'Overview', suffix: '' },
    can('write', server) ? { key: 'edit', label: 'Edit', suffix: 'edit' } : null,
    can('call', server) ? { key: 'try', label: 'Try it', suffix: 'try' } : null,
    { key: 'history', label: 'History', suffix: 'history' },
  ].filter(Boolean);
  return h(
    'nav',
    { class: 'tabs', 'aria-label': `Tool ${name}` },
    items.map((item) => h('a', { href: `#${toolPath(server, name, item.suffix)}`, 'aria-current': item.key === current ? 'page' : null }, item.label)),
  );
}
