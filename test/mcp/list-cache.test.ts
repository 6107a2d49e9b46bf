import { beforeAll, describe, expect, it } from 'vitest';
import { useToolport } from '../support/toolport.ts';
import { MODERN_META, postModern, registerTool } from './support.ts';

const META = MODERN_META;
const list = (url: string, id: number | string, params: Record<string, unknown> = { _meta: META }) => postModern(url, 'tools/list', id, params);

describe('pre-encoded tools/list answers (2026-07-28)', () => {
  const t = useToolport('pglite');
  let utility: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
  });

  it('answers repeated requests with the bytes the SDK produced, each with its own id', async () => {
    const first = await list(utility, 1);
    const firstText = await first.text();
    const second = await list(utility, 1);
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toBe('application/json');
    expect(await second.text()).toBe(firstText);
    const other: any = await (await list(utility, 'req-2')).json();
    expect(other.id).toBe('req-2');
    expect(other.result).toEqual(JSON.parse(firstText).result);
    expect(other.result.tools.map((tool: { name: string }) => tool.name)).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
  });

  it('a registry change is in the very next answer', async () => {
    await list(utility, 3);
    await registerTool(utility, 'cache_buster');
    const after: any = await (await list(utility, 4)).json();
    expect(after.result.tools.map((tool: { name: string }) => tool.name)).toContain('cache_buster');
  });

  it('requests outside the plain shape are still validated and answered by the SDK', async () => {
    await list(utility, 5);
    const noMeta: any = await (await list(utility, 6, {})).json();
    expect(noMeta.error.code).toBe(-32602);
    const badCursor: any = await (await list(utility, 7, { _meta: META, cursor: '!!' })).json();
    expect(badCursor.error.code).toBe(-32602);
    const badClient: any = await (await list(utility, 8, { _meta: { ...META, 'io.modelcontextprotocol/clientInfo': 'me' } })).json();
    expect(badClient.error).toBeDefined();
  });
});
