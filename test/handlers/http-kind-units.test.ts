// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { describe, expect, it } from 'vitest';
import { backoffDelay, mayRepeat, retryAfterMs } from '../../src/handlers/kinds/http/retry.ts';
import { fillTemplate, placeholders, templateProblems } from '../../src/handlers/kinds/http/template.ts';
import { badSecretReferences, SecretScope, secretNamesOf, UnsetSecretError } from '../../src/shared/secrets.ts';

// The pure parts of the http kind: backoff, Retry-After, URL templates, secret references and redaction.

const policy = { attempts: 5, backoffMs: 200, maxBackoffMs: 2000, unsafe: false };

describe('retry policy', () => {
  it('full jitter: each wait lies in [0, min(maxBackoffMs, backoffMs·2^n)]', () => {
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, policy, () => 0.999999))).toEqual([199, 399, 799, 1599, 1999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('repeats only idempotent methods unless unsafe, and only with attempts > 1', () => {
    expect(mayRepeat('GET', policy)).toBe(true);
    expect(mayRepeat('PUT', policy)).toBe(true);
    expect(mayRepeat('POST', policy)).toBe(false);
    expect(mayRepeat('PATCH', { ...policy, unsafe: true })).toBe(true);
    expect(mayRepeat('GET', { ...policy, attempts: 1 })).toBe(false);
  });

  it('reads Retry-After as delay-seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('URL templates', () => {
  it('fills each placeholder percent-encoded, so a value cannot add a segment, a query or a fragment', () => {
    expect(placeholders('https://a.example/{x}/{y}/{x}')).toEqual(['x', 'y']);
    expect(fillTemplate('https://a.example/o/{id}?v={v}', { id: '../admin?x#', v: 'a b' })).toBe('https://a.example/o/..%2Fadmin%3Fx%23?v=a%20b');
  });

  it('refuses placeholders in the host, unmatched braces, fragments and credentials', () => {
    expect(templateProblems('https://{tenant}.example.com/x').join()).toMatch(/not in the scheme, host or port/);
    expect(templateProblems('https://a.example/{x').join()).toMatch(/unmatched/);
    expect(templateProblems('https://a.example/x#top').join()).toMatch(/fragment/);
    expect(templateProblems('https://u:p@a.example/x').join()).toMatch(/credentials/);
    expect(templateProblems('https://a.example/v1/{id}')).toEqual([]);
  });
});

describe('secret references', () => {
  it('lists the names a config uses and flags malformed references', () => {
    expect(secretNamesOf({ headers: { a: 'Bearer ${secret:B_TOKEN}', b: '${secret:A}${secret:B_TOKEN}' } })).toEqual(['A', 'B_TOKEN']);
    expect(badSecretReferences('${secret:has-dash}')[0]).toMatch(/not a secret reference/);
    expect(badSecretReferences('${secret:OPEN')[0]).toMatch(/unclosed/);
    expect(badSecretReferences('Bearer ${secret:OK_1}')).toEqual([]);
  });

  it('resolves at call time and redacts every spelling of the value', () => {
    const scope = new SecretScope((name) => (name === 'KEY' ? 'a b/c&"d' : undefined));
    expect(scope.resolve('k=${secret:KEY}')).toBe('k=a b/c&"d');
    const spellings = ['a b/c&"d', encodeURIComponent('a b/c&"d'), 'a+b%2Fc%26%22d', JSON.stringify('a b/c&"d').slice(1, -1)];
    for (const text of spellings) expect(scope.redact(`x ${text} y`)).toBe('x [redacted] y');
    expect(scope.redactJson({ [`k ${spellings[0]}`]: [spellings[1]] })).toEqual({ 'k [redacted]': ['[redacted]'] });
    expect(() => scope.resolve('${secret:NOPE}')).toThrow(UnsetSecretError);
  });
});
