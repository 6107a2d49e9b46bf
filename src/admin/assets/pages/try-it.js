// Try a tool: a form generated from its inputSchema (or the arguments as raw JSON), POST /tools/call, and the result as the API gave it.
import { get, post } from '../lib/api.js';
import { badge, errorNotice, field, h, replace } from '../lib/dom.js';
import { parseJson } from '../lib/forms.js';
import { schemaForm } from '../lib/schema-form.js';
import { can } from '../lib/session.js';
import { pretty } from '../lib/text.js';
import { toolApi } from '../lib/tool-api.js';
import { toolTabs } from '../lib/tool-tabs.js';

/** A scrollable block of text, reachable with the keyboard (a scrollable region must be focusable). */
const block = (text) => h('pre', { tabindex: '0' }, text);

/** A text content item: formatted when it is JSON (an object or array), else as it is. */
function textBlock(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = parseJson(trimmed);
    if (!parsed.error) return [h('p', { class: 'muted' }, 'JSON text, formatted:'), block(pretty(parsed.value))];
  }
  return block(text);
}

function contentItem(item, index, toolName) {
  const heading = h('h4', {}, `Content ${index + 1}: ${item?.type ?? 'unknown'}`);
  if (item?.type === 'text' && typeof item.text === 'string') return h('div', { class: 'result-item' }, heading, textBlock(item.text));
  if (item?.type === 'image' && typeof item.data === 'string') {
    const mime = typeof item.mimeType === 'string' && /^image\/[\w.+-]+$/.test(item.mimeType) ? item.mimeType : 'application/octet-stream';
    return h(
      'div',
      { class: 'result-item' },
      heading,
      h('img', { class: 'result', src: `data:${mime};base64,${item.data}`, alt: `Image ${index + 1} returned by ${toolName}` }),
      h('p', { class: 'muted' }, `${item.mimeType ?? 'no mimeType'}, ${Math.round((item.data.length * 3) / 4)} bytes`),
    );
  }
  return h('div', { class: 'result-item' }, heading, block(pretty(item)));
}

function renderResult(target, result, ms, toolName) {
  const content = Array.isArray(result?.content) ? result.content : [];
  const heading = h('h2', { tabindex: '-1' }, 'Result');
  const known = new Set(['content', 'structuredContent', 'isError']);
  const rest = Object.fromEntries(Object.entries(result ?? {}).filter(([key]) => !known.has(key)));
  replace(
    target,
    heading,
    h(
      'p',
      { class: 'actions' },
      result?.isError ? badge('tool error', 'bad') : badge('ok', 'ok'),
      result?.isError ? h('span', {}, 'The tool ran and reported an error (isError: true).') : null,
      h('span', { class: 'muted' }, `${ms} ms (round trip, measured in the browser)`),
    ),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Content' },
      h('h3', {}, `Content (${content.length})`),
      content.length ? content.map((item, i) => contentItem(item, i, toolName)) : h('p', { class: 'muted' }, 'No content items.'),
    ),
    result?.structuredContent !== undefined
      ? h('section', { class: 'panel', 'aria-label': 'Structured content' }, h('h3', {}, 'structuredContent'), block(pretty(result.structuredContent)))
      : null,
    Object.keys(rest).length ? h('section', { class: 'panel', 'aria-label': 'Other result fields' }, h('h3', {}, 'Other fields'), block(pretty(rest))) : null,
  );
  heading.focus();
}

export async function render(root, params) {
  const server = params.server;
  const name = params.tool;
  let tool;
  try {
    tool = await get(toolApi(name), { server });
  } catch (error) {
    replace(root, h('h1', {}, `Try ${name}`), toolTabs(server, name, 'try'), errorNotice(error));
    return;
  }

  const schema = tool.inputSchema && typeof tool.inputSchema === 'object' ? tool.inputSchema : { type: 'object' };
  const idPrefix = 'try-arg';
  let form = schemaForm(schema, { idPrefix });
  let rawMode = false;

  const formArea = h('div', {}, form.element);
  const rawInput = h('textarea', { class: 'code', name: 'arguments', spellcheck: 'false' });
  const rawField = field('Arguments (JSON object)', rawInput, { hint: 'The "arguments" of the call, exactly as sent.' });
  rawField.hidden = true;
  const rawToggle = h('input', { type: 'checkbox', id: 'try-raw', onchange: () => switchMode(rawToggle.checked) });
  const status = h('div');
  const resultArea = h('div');
  const call = h('button', { type: 'submit' }, 'Call');

  function switchMode(toRaw) {
    replace(status);
    if (toRaw) {
      rawInput.value = pretty(form.value());
      rawField.setError(null);
      formArea.hidden = true;
      rawField.hidden = false;
      rawMode = true;
      rawInput.focus();
      return;
    }
    const parsed = rawInput.value.trim() === '' ? { value: {} } : parseJson(rawInput.value);
    if (parsed.error || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      rawField.setError(parsed.error ? `Not valid JSON: ${parsed.error}` : 'The arguments must be a JSON object');
      rawToggle.checked = true;
      rawInput.focus();
      return;
    }
    form = schemaForm(schema, { idPrefix, initial: parsed.value });
    replace(formArea, form.element);
    rawField.hidden = true;
    formArea.hidden = false;
    rawMode = false;
  }

  function reset() {
    replace(status);
    replace(resultArea);
    form = schemaForm(schema, { idPrefix });
    replace(formArea, form.element);
    rawInput.value = pretty(form.value());
    rawField.setError(null);
  }

  async function submit(event) {
    event.preventDefault();
    replace(status);
    let args;
    if (rawMode) {
      rawField.setError(null);
      const parsed = rawInput.value.trim() === '' ? { value: {} } : parseJson(rawInput.value);
      if (parsed.error || !parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
        rawField.setError(parsed.error ? `Not valid JSON: ${parsed.error}` : 'The arguments must be a JSON object');
        rawInput.focus();
        return;
      }
      args = parsed.value;
    } else {
      const checked = form.check();
      if (checked.errors.length) {
        replace(status, errorNotice({ message: 'Some arguments need fixing before the call (marked beside each field):', details: checked.errors }));
        form.focusFirstError();
        return;
      }
      args = checked.value;
    }
    call.disabled = true;
    call.textContent = 'Calling…';
    const started = performance.now();
    try {
      const result = await post('/tools/call', { name, arguments: args }, { server });
      renderResult(resultArea, result, Math.round(performance.now() - started), name);
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      replace(resultArea);
      replace(status, errorNotice(error), h('p', { class: 'muted' }, `The call failed after ${ms} ms (HTTP ${error.status ?? '?'}).`));
      if (rawMode) {
        if (error.details?.length) rawField.setError(error.details.map((d) => `${d.path || '/'} ${d.message}`).join('; '));
      } else form.setErrors(error.details);
    } finally {
      call.disabled = false;
      call.textContent = 'Call';
    }
  }

  replace(
    root,
    h('h1', {}, `Try ${name}`),
    toolTabs(server, name, 'try'),
    h(
      'div',
      { class: 'panel' },
      tool.title ? h('p', {}, h('strong', {}, tool.title)) : null,
      h('p', { class: 'muted' }, tool.description),
      h(
        'p',
        { class: 'actions' },
        tool.available ? badge('available', 'ok') : badge('unavailable', 'bad'),
        tool.available ? null : h('span', {}, tool.reason ?? ''),
        h('span', { class: 'muted' }, `version ${tool.version} · handler ${tool.handler}`),
      ),
      can('call', server) ? null : h('p', { class: 'notice error' }, 'Your credential has no call scope for this server: the call will be refused.'),
    ),
    h(
      'form',
      { class: 'panel', onsubmit: submit, novalidate: true, 'aria-label': `Arguments of ${name}` },
      h('div', { class: 'toolbar' }, h('label', { for: 'try-raw', class: 'check' }, rawToggle, ' Raw JSON (edit the arguments as JSON instead of the form)')),
      formArea,
      rawField,
      h('div', { class: 'actions' }, call, h('button', { type: 'button', class: 'secondary', onclick: reset }, 'Reset to defaults')),
    ),
    status,
    resultArea,
  );
}
