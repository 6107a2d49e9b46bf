import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useToolport } from '../support/toolport.ts';

type AdapterTool = Awaited<ReturnType<MultiServerMCPClient['getTools']>>[number];

/**
 * The built-in tools through LangChain's MCP adapter (@langchain/mcp-adapters
 * 1.1): the schema it builds for the model must offer what the tool accepts.
 * data_processor's operations were a oneOf of six objects, which the adapter
 * collapsed into the last (op "statistics"); it now advertises one object.
 */
describe('the built-in tools through @langchain/mcp-adapters', () => {
  const t = useToolport('pglite');
  let client: MultiServerMCPClient;
  let tools: AdapterTool[];
  beforeAll(async () => {
    client = new MultiServerMCPClient({
      mcpServers: { utility: { transport: 'http', url: `${t.app.urls.utility}/mcp` }, finance: { transport: 'http', url: `${t.app.urls.finance}/mcp` } },
    });
    tools = await client.getTools();
  });
  afterAll(async () => {
    await client?.close();
  });

  const tool = (name: string) => {
    const found = tools.find((candidate) => candidate.name.endsWith(name));
    if (!found) throw new Error(`no ${name} in ${tools.map((candidate) => candidate.name).join(', ')}`);
    return found;
  };

  it('data_processor: the model sees every op, and each one runs through the adapter', async () => {
    const schema = JSON.stringify((tool('data_processor').schema as { toJSONSchema?: () => unknown }).toJSONSchema?.() ?? tool('data_processor').schema);
    for (const op of ['sort', 'filter', 'deduplicate', 'group', 'aggregate', 'statistics']) expect(schema).toContain(`"${op}"`);
    const data = [
      { city: 'Oslo', price: 3 },
      { city: 'Rome', price: 5 },
      { city: 'Oslo', price: 7 },
    ];
    const answer = await tool('data_processor').invoke({
      data,
      operations: [
        { op: 'filter', field: 'price', operator: 'gt', value: 2 },
        { op: 'sort', by: 'price', order: 'desc' },
        { op: 'group', by: 'city', aggregate: [{ field: 'price', fn: 'sum' }] },
        { op: 'statistics', field: 'sum_price' },
      ],
    });
    const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
    expect(text).toContain('sum_price');
    expect(text).toContain('Oslo');
  });

  it('a bad operation is refused by the tool, naming the field (the advertised schema is looser, the handler is not)', async () => {
    const answer = await tool('data_processor')
      .invoke({ data: [{ a: 1 }], operations: [{ op: 'filter', field: 'a' }] })
      .catch((error: Error) => error.message);
    expect(JSON.stringify(answer)).toMatch(/operator/);
  });

  it('the other built-in tools take their arguments through the adapter', async () => {
    expect(JSON.stringify(await tool('get_time').invoke({ timezone: 'Europe/Paris' }))).toContain('Europe/Paris');
    expect(JSON.stringify(await tool('text_analyzer').invoke({ text: 'one two two' }))).toContain('uniqueWords');
    expect(JSON.stringify(await tool('calculate_portfolio').invoke({ positions: [{ symbol: 'AAPL', quantity: 2, price: 10 }] }))).toContain('20');
  });
});
