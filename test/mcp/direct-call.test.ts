import { beforeAll, describe, expect, it } from 'vitest';
import { useToolport } from '../support/toolport.ts';
import { MODERN_META, postMcp, postModern } from './support.ts';

const META = MODERN_META;
const call = (url: string, id: number, name: string, args: unknown) => postModern(url, 'tools/call', id, { name, arguments: args, _meta: META }, name);

describe('direct answers to plain 2026-07-28 tools/call', () => {
  const t = useToolport('pglite');
  let utility: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
  });

  it('an isError result is byte-identical whether the SDK or Toolport answers it', async () => {
    const viaSdk = await (await call(utility, 1, 'get_time', { timezone: 42 })).text();
    const direct = await call(utility, 1, 'get_time', { timezone: 42 });
    expect(direct.headers.get('content-type')).toBe('application/json');
    expect(await direct.text()).toBe(viaSdk);
    const parsed = JSON.parse(viaSdk);
    expect(parsed.result.isError).toBe(true);
    expect(parsed.result.content[0].text).toMatch(/\/arguments\/timezone/);
  });

  it('a successful result is byte-identical too, with the caller’s id', async () => {
    const args = { text: 'One sentence here. Another one there!' };
    const first = await (await call(utility, 7, 'text_analyzer', args)).text();
    const second = await (await call(utility, 7, 'text_analyzer', args)).text();
    expect(second).toBe(first);
    const other = JSON.parse(await (await call(utility, 8, 'text_analyzer', args)).text());
    expect(other.id).toBe(8);
    expect(other.result).toEqual(JSON.parse(first).result);
    expect(other.result).toMatchObject({ isError: false, resultType: 'complete', structuredContent: { sentences: 2 } });
  });

  it('unknown tools, mismatched Mcp-Name and extra params still get the SDK’s protocol answers', async () => {
    const unknown: any = await (await call(utility, 9, 'nope', {})).json();
    expect(unknown.error.code).toBe(-32602);
    const mismatch = await postMcp(
      utility,
      { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'get_time', arguments: {}, _meta: META } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'text_analyzer' },
    );
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as any).error.code).toBe(-32020);
  });
});
