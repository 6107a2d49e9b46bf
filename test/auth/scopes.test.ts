import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/auth/duration.ts';
import type { Scope } from '../../src/auth/principal.ts';
import { allows, allowsSome, formatScope, neededScope, parseScope, parseScopes, visibleTool } from '../../src/auth/scopes.ts';

const scopes = (...texts: string[]): Scope[] => parseScopes(texts);

describe('parsing scopes', () => {
  it('reads <server|*>:<action>[:<tool-glob>] and the bare admin', () => {
    expect(parseScope('finance:call')).toEqual({ server: 'finance', action: 'call' });
    expect(parseScope('*:list')).toEqual({ server: '*', action: 'list' });
    expect(parseScope('utility:call:get_*')).toEqual({ server: 'utility', action: 'call', toolGlob: 'get_*' });
    expect(parseScope('admin')).toEqual({ server: '*', action: 'admin' });
    expect(parseScope('  finance:write ')).toEqual({ server: 'finance', action: 'write' });
  });

  it('formats back to the same text, with * as the glob meaning the whole server', () => {
    for (const text of ['finance:call', '*:list', 'utility:call:get_*', 'admin', 'finance:write', 'a:list:{x,y}_*'])
      expect(formatScope(parseScope(text))).toBe(text);
    expect(formatScope(parseScope('finance:call:*'))).toBe('finance:call');
  });

  it.each([
    ['', /is empty/],
    ['finance', /2 or 3 parts/],
    ['finance:call:x:y', /2 or 3 parts/],
    ['Finance:call', /the server "Finance" must be \* or a server id/],
    ['finance:cal', /the action "cal" must be one of list, call, write/],
    ['finance:admin', /admin is granted only as the bare scope/],
    ['*:admin', /admin is granted only as the bare scope/],
    ['finance:write:get_*', /write covers a whole server/],
    ['finance:call:get time', /the tool glob must be/],
    ['finance:call:', /the tool glob must be/],
    [`finance:call:${'x'.repeat(200)}`, /longer than 200/],
  ])('refuses %j, naming the text and why', (text, reason) => {
    let caught: any;
    try {
      parseScope(text);
    } catch (error) {
      caught = error;
    }
    expect(caught?.code).toBe('bad_request');
    expect(caught.message).toMatch(reason);
    if (text.length < 80) expect(caught.message).toContain(JSON.stringify(text));
  });

  it('reports every bad scope of a list at its index, and drops duplicates', () => {
    expect(scopes('finance:call', 'finance:call', 'finance:call:*')).toEqual([{ server: 'finance', action: 'call' }]);
    let caught: any;
    try {
      parseScopes(['finance:call', 'nope', 'x:y']);
    } catch (error) {
      caught = error;
    }
    expect(caught.code).toBe('bad_request');
    expect(caught.details.map((d: any) => d.path)).toEqual(['/scopes/1', '/scopes/2']);
    expect(() => parseScopes([])).toThrow(/At least one scope/);
  });
});

describe('deciding', () => {
  it('admin allows everything on every server', () => {
    const admin = scopes('admin');
    for (const action of ['list', 'call', 'write', 'admin'] as const) expect(allows(admin, { server: 'finance', action, tool: 'x' })).toBe(true);
    expect(allows(admin, { server: 'any', action: 'admin' })).toBe(true);
  });

  it('a server scope covers its own server only', () => {
    const s = scopes('finance:call');
    expect(allows(s, { server: 'finance', action: 'call', tool: 'get_stock_price' })).toBe(true);
    expect(allows(s, { server: 'utility', action: 'call', tool: 'get_time' })).toBe(false);
    expect(visibleTool(s, 'utility', 'get_time')).toBe(false);
  });

  it('call implies list of the same tools; list implies nothing else', () => {
    expect(visibleTool(scopes('finance:call'), 'finance', 'anything')).toBe(true);
    expect(visibleTool(scopes('finance:call:get_*'), 'finance', 'get_news')).toBe(true);
    expect(visibleTool(scopes('finance:call:get_*'), 'finance', 'set_price')).toBe(false);
    const listOnly = scopes('*:list');
    expect(visibleTool(listOnly, 'utility', 'get_time')).toBe(true);
    expect(allows(listOnly, { server: 'utility', action: 'call', tool: 'get_time' })).toBe(false);
    expect(allows(listOnly, { server: 'utility', action: 'write' })).toBe(false);
  });

  it('write implies list of that server but not call; nothing but admin implies admin', () => {
    const writer = scopes('finance:write');
    expect(allows(writer, { server: 'finance', action: 'write', tool: 'new_tool' })).toBe(true);
    expect(allows(writer, { server: 'finance', action: 'write' })).toBe(true);
    expect(visibleTool(writer, 'finance', 'get_stock_price')).toBe(true);
    expect(allows(writer, { server: 'finance', action: 'call', tool: 'get_stock_price' })).toBe(false);
    expect(allows(writer, { server: 'utility', action: 'write' })).toBe(false);
    expect(allows(scopes('*:write', '*:call', '*:list'), { server: 'finance', action: 'admin' })).toBe(false);
  });

  it('matches tool globs with picomatch (braces, ?, classes, dots), and a globbed grant does not cover the whole server', () => {
    const s = scopes('utility:call:{get_time,text_*}', 'finance:list:get_?????_price', 'x:call:[ab]*', 'y:call:*.v2');
    expect(allows(s, { server: 'utility', action: 'call', tool: 'get_time' })).toBe(true);
    expect(allows(s, { server: 'utility', action: 'call', tool: 'text_analyzer' })).toBe(true);
    expect(allows(s, { server: 'utility', action: 'call', tool: 'calculate' })).toBe(false);
    expect(allows(s, { server: 'utility', action: 'call' })).toBe(false);
    expect(allowsSome(s, 'utility', 'call')).toBe(true);
    expect(allowsSome(s, 'finance', 'call')).toBe(false);
    expect(visibleTool(s, 'finance', 'get_stock_price')).toBe(true);
    expect(visibleTool(s, 'finance', 'get_stocks_price')).toBe(false);
    expect(visibleTool(s, 'x', 'beta')).toBe(true);
    expect(visibleTool(s, 'x', 'gamma')).toBe(false);
    expect(visibleTool(s, 'y', 'report.v2')).toBe(true);
    expect(visibleTool(s, 'y', 'v2')).toBe(false);
  });

  it('names the scope a refused request needed', () => {
    expect(neededScope({ server: 'finance', action: 'write' })).toBe('finance:write');
    expect(neededScope({ server: 'finance', action: 'admin' })).toBe('admin');
  });
});

describe('key lifetimes', () => {
  it('reads <number><s|m|h|d|w>', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(() => parseDuration('soon')).toThrow(/Duration "soon" is not valid/);
    expect(() => parseDuration('0d')).toThrow(/not valid/);
  });
});
