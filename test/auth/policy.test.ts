import { describe, expect, it } from 'vitest';
import { authPolicy, isLoopbackHost } from '../../src/auth/policy.ts';

describe('TOOLPORT_AUTH policy', () => {
  it('knows loopback bind addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'toolport.internal', 'example.com']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('defaults to local-open when every listener binds loopback, and says why', () => {
    const decision = authPolicy({ bindHosts: ['127.0.0.1', '127.0.0.1'], configured: undefined });
    expect(decision.policy).toBe('local-open');
    expect(decision.reason).toBe(
      'every listener binds loopback (127.0.0.1): callers on this machine may list and call without a credential (TOOLPORT_AUTH unset; set it to required to ask for one)',
    );
  });

  it('defaults to required when any listener binds off loopback', () => {
    const decision = authPolicy({ bindHosts: ['127.0.0.1', '0.0.0.0'], configured: undefined });
    expect(decision.policy).toBe('required');
    expect(decision.reason).toMatch(/^a listener binds 0\.0\.0\.0 \(not loopback\): every request needs a credential/);
  });

  it('follows TOOLPORT_AUTH when set, either way', () => {
    expect(authPolicy({ bindHosts: ['127.0.0.1'], configured: 'required' })).toMatchObject({
      policy: 'required',
      reason: expect.stringMatching(/^TOOLPORT_AUTH=required/),
    });
    expect(authPolicy({ bindHosts: ['0.0.0.0'], configured: 'local-open' })).toMatchObject({
      policy: 'local-open',
      reason: expect.stringContaining('loopback callers may list and call without a credential, others need one; a listener binds 0.0.0.0'),
    });
  });
});
