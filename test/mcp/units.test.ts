import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { listToolsPage, toMcpTool } from '../../src/mcp/tool-list.ts';
import { serverCatalog } from '../../src/registry/catalog.ts';
import type { Registry, ServerSnapshot, ToolEntry } from '../../src/registry/registry.ts';
import type { AvailableTool } from '../../src/registry/snapshot.ts';
import { onToolsChanged } from '../../src/registry/tool-change-events.ts';
import { sleep } from './support.ts';

function entry(name: string, extra: Record<string, unknown> = {}): ToolEntry {
  const row = { name, title: null, description: `about ${name}`, inputSchema: { type: 'object' }, outputSchema: null, annotations: {}, ...extra };
  return { name, row, available: true, reason: undefined, handler: undefined, validator: undefined } as unknown as ToolEntry;
}

function snapshot(names: string[]): ServerSnapshot {
  const available = [...names].sort().map((name) => entry(name)) as AvailableTool[];
  return {
    server: {} as ServerSnapshot['server'],
    info: { id: 'test', name: 'Test', description: '' },
    revision: 1,
    ordered: available,
    tools: new Map(available.map((e) => [e.row.name, e])),
    available,
  };
}

describe('tools/list pages', () => {
  it('leaves unset columns out instead of sending null or {}', () => {
    expect(toMcpTool(entry('plain'))).toEqual({ name: 'plain', description: 'about plain', inputSchema: { type: 'object' } });
    const full = toMcpTool(entry('full', { title: 'Full', outputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }));
    expect(full).toMatchObject({ title: 'Full', outputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
  });

  it('pages by the last name sent, so a change between pages neither skips nor repeats a tool', () => {
    const before = snapshot(['a', 'b', 'c', 'd', 'e']);
    const first = listToolsPage(before, undefined, 2);
    expect(first.tools.map((tool) => tool.name)).toEqual(['a', 'b']);
    // "b" is deleted and "bb" added before the client asks for the next page.
    const after = snapshot(['a', 'bb', 'c', 'd', 'e']);
    const second = listToolsPage(after, first.nextCursor, 2);
    expect(second.tools.map((tool) => tool.name)).toEqual(['bb', 'c']);
    const last = listToolsPage(after, second.nextCursor, 2);
    expect(last).toEqual({ tools: [expect.objectContaining({ name: 'd' }), expect.objectContaining({ name: 'e' })] });
  });

  it('serializes once per snapshot', () => {
    const one = snapshot(['x', 'y']);
    expect(listToolsPage(one, undefined).tools[0]).toBe(listToolsPage(one, undefined).tools[0]);
    expect(listToolsPage(snapshot(['x', 'y']), undefined).tools[0]).not.toBe(listToolsPage(one, undefined).tools[0]);
  });
});

describe('change notifications', () => {
  it('coalesce a burst into one call, per server only, and stop when unsubscribed', async () => {
    const registry = new EventEmitter() as unknown as Registry;
    let calls = 0;
    const stop = onToolsChanged(serverCatalog(registry, 'finance'), () => calls++, 10);
    for (let revision = 1; revision <= 5; revision++) registry.emit('changed', { serverId: 'finance', revision });
    registry.emit('changed', { serverId: 'utility', revision: 1 });
    await sleep(40);
    expect(calls).toBe(1);
    registry.emit('changed', { serverId: 'utility', revision: 2 });
    await sleep(40);
    expect(calls).toBe(1);
    registry.emit('changed', { serverId: 'finance', revision: 6 });
    stop();
    await sleep(40);
    expect(calls).toBe(1);
  });
});
