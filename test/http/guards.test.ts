import { describe, expect, it } from 'vitest';
import { jsonContentTypeProblem } from '../../src/shared/content-type.ts';
import { sameJson } from '../../src/shared/json-equal.ts';
import { findJsonProblem } from '../../src/shared/json-guard.ts';
import { allowedHostnames, createOriginPolicy } from '../../src/shared/origin-policy.ts';

/** The request guards REST and /mcp share (src/shared/), on their own. */

describe('findJsonProblem', () => {
  const nested = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels));
  const check = (value: unknown, maxDepth = 64) => findJsonProblem(value, { maxDepth });

  it('counts objects and arrays; scalars add no depth', () => {
    expect(check(nested(64))).toBeUndefined();
    expect(check(nested(65))).toMatchObject({ kind: 'depth', path: `/${Array(64).fill('0').join('/')}` });
    expect(check({ a: { b: 'deep string is not a level' } }, 2)).toBeUndefined();
    expect(check({ a: { b: {} } }, 2)).toMatchObject({ kind: 'depth', path: '/a/b' });
    expect(check('scalar', 1)).toBeUndefined();
    // Iterative: a depth far beyond the stack is reported, not overflowed.
    expect(check(nested(200_000))?.kind).toBe('depth');
  });

  it('refuses NUL and lone surrogates in strings and keys, naming the pointer', () => {
    expect(check({ a: ['ok', 'x\u0000'] })).toMatchObject({ kind: 'nul', path: '/a/1' });
    expect(check({ 'k\u0000': 1 })).toMatchObject({ kind: 'nul', path: '/k\\u0000', message: expect.stringMatching(/^is a key that/) });
    expect(check({ a: '\ud800' })).toMatchObject({ kind: 'surrogate', path: '/a' });
    expect(check({ a: 'x\udfff' })).toMatchObject({ kind: 'surrogate' });
    expect(check({ 'a/b~c': { '\udc00': 1 } })).toMatchObject({ kind: 'surrogate', path: '/a~1b~0c/\\udc00' });
    expect(check('\u0000')).toMatchObject({ kind: 'nul', path: '/' });
  });

  it('accepts well-formed text: surrogate pairs, other control characters, U+FFFD', () => {
    expect(check({ emoji: '😀 \ud83d\ude00', tab: '\t\n\u0001', replacement: '\ufffd' })).toBeUndefined();
  });

  it('skips the string checks when the source text has no \\u escape (they can only come from one)', () => {
    const value = { a: 'x\u0000' }; // as if parsed from text that could not contain it
    expect(findJsonProblem(value, { maxDepth: 64, text: '{"a":"x"}' })).toBeUndefined();
    expect(findJsonProblem(value, { maxDepth: 64, text: '{"a":"x\\u0000"}' })?.kind).toBe('nul');
  });

  it('cuts long keys in the pointer', () => {
    const key = 'k'.repeat(500);
    expect(check({ [key]: '\u0000' })!.path.length).toBeLessThan(60);
  });
});

describe('jsonContentTypeProblem', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON;CHARSET="UTF-8"',
    'application/json;charset=utf8',
    'application/json; foo=bar',
  ])('accepts %s', (type) => expect(jsonContentTypeProblem(type)).toBeUndefined());
  it.each([
    undefined,
    '',
    'text/plain',
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json-seq',
    'application/jsonx',
    'application/json; charset=latin1',
  ])('refuses %s', (type) => expect(jsonContentTypeProblem(type)).toMatch(/Content-Type/));
});

describe('origin policy', () => {
  const policy = createOriginPolicy({ bindHost: '127.0.0.1', allowedOrigins: ['https://app.example.com', 'tools.example.org', 'chrome-extension://abcdef'] });
  const origin = (value: string) => policy.check(value, '127.0.0.1:3001');

  it('allows no Origin, localhost origins and the configured list', () => {
    expect(policy.check(undefined, '127.0.0.1:3001').ok).toBe(true);
    for (const value of [
      'http://localhost:6274',
      'http://127.0.0.1',
      'http://[::1]:8080',
      'https://app.example.com',
      'http://tools.example.org:9000',
      'chrome-extension://abcdef',
    ]) {
      expect(origin(value).ok, value).toBe(true);
    }
  });

  it('refuses other origins, unparseable ones and other extensions (a listed extension does not open the "null" origin)', () => {
    for (const value of [
      'https://evil.example',
      'https://app.example.com:8443',
      'http://app.example.com',
      'null',
      'file://',
      'chrome-extension://other',
      'moz-extension://x',
      'x',
    ]) {
      expect(origin(value), value).toMatchObject({ ok: false, reason: 'origin' });
    }
  });

  it('an extension scheme with * allows any extension of it', () => {
    const any = createOriginPolicy({ bindHost: '127.0.0.1', allowedOrigins: ['chrome-extension://*'] });
    expect(any.check('chrome-extension://whatever', 'localhost').ok).toBe(true);
    expect(any.check('moz-extension://whatever', 'localhost').ok).toBe(false);
  });

  it('checks Host against loopback names and the bound address, port-agnostic; not at all on a wildcard bind', () => {
    expect(policy.check(undefined, 'localhost:1').ok).toBe(true);
    expect(policy.check(undefined, '[::1]:1').ok).toBe(true);
    expect(policy.check(undefined, 'attacker.example:3001')).toMatchObject({ ok: false, reason: 'host', detail: 'Invalid Host: attacker.example' });
    expect(policy.check(undefined, undefined)).toMatchObject({ ok: false, reason: 'host', detail: 'Missing Host header' });
    expect(policy.check(undefined, 'a b')).toMatchObject({ ok: false, reason: 'host' });
    const lan = createOriginPolicy({ bindHost: '192.168.1.5', allowedOrigins: [] });
    expect(lan.check(undefined, '192.168.1.5:3001').ok).toBe(true);
    expect(allowedHostnames('::1')).toContain('[::1]');
    expect(allowedHostnames('fe80::1')).toContain('[fe80::1]');
    for (const wildcard of ['0.0.0.0', '::']) {
      const open = createOriginPolicy({ bindHost: wildcard, allowedOrigins: [] });
      expect(open.check(undefined, 'anything.example').ok).toBe(true);
      expect(open.check('https://evil.example', 'anything.example').ok).toBe(false);
    }
  });

  it('the same answer on every call (the verdict cache is bounded and keyed by the header value)', () => {
    for (let i = 0; i < 200; i++) expect(policy.check(`https://evil${i}.example`, `h${i}.example`).ok).toBe(false);
    expect(origin('http://localhost:1').ok).toBe(true);
    expect(origin('https://evil0.example').ok).toBe(false);
  });
});

describe('sameJson', () => {
  it('ignores key order, not array order or types', () => {
    expect(sameJson({ a: 1, b: { c: [1, { d: null }] } }, { b: { c: [1, { d: null }] }, a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson([], {})).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});
