import { describe, expect, it } from 'vitest';
import { ApiKeysRepository } from '../../src/auth/api-keys.repository';
import { ApiKeysService, hashKey } from '../../src/auth/api-keys.service';
import type { Principal } from '../../src/auth/roles';
import { AppConfig, loadConfig } from '../../src/config/app-config';

/** A key store in memory that counts its reads; keys can be revoked. */
class FakeKeys {
  reads = 0;
  readonly revoked = new Set<string>();
  constructor(private readonly keys: Map<string, Principal>) {}
  async findActiveByHash(hash: string): Promise<Principal | null> {
    this.reads++;
    const p = this.keys.get(hash);
    return p && !this.revoked.has(hash) ? p : null;
  }
  async touch(): Promise<void> {}
}

const config = (seconds: number): AppConfig => loadConfig({ NODE_ENV: 'test' }, { overrides: { auth: { keyCacheSeconds: seconds } } });

async function setup(seconds: number) {
  const principal: Principal = { keyId: 'k1', name: 'lead', role: 'lead', email: null };
  const fake = new FakeKeys(new Map([[hashKey('cw_secret'), principal]]));
  const service = new ApiKeysService(fake as unknown as ApiKeysRepository, config(seconds));
  return { fake, service, principal, hash: hashKey('cw_secret') };
}

describe('API key checks are remembered for auth.keyCacheSeconds', () => {
  it('reads a key once per window, and a revoked key stops working when the window ends', async () => {
    const { fake, service, principal, hash } = await setup(10);
    const t0 = 1_000_000;
    expect(await service.authenticate('cw_secret', t0)).toEqual(principal);
    expect(await service.authenticate('cw_secret', t0 + 5_000)).toEqual(principal);
    expect(fake.reads).toBe(1);
    fake.revoked.add(hash);
    expect(await service.authenticate('cw_secret', t0 + 9_999)).toEqual(principal); // still remembered
    expect(await service.authenticate('cw_secret', t0 + 10_000)).toBeNull();
    expect(fake.reads).toBe(2);
  });

  it('remembers unknown keys too, and with 0 asks every time', async () => {
    const cached = await setup(10);
    await cached.service.authenticate('cw_wrong', 0);
    await cached.service.authenticate('cw_wrong', 1);
    expect(cached.fake.reads).toBe(1);
    const uncached = await setup(0);
    await uncached.service.authenticate('cw_secret', 0);
    await uncached.service.authenticate('cw_secret', 1);
    expect(uncached.fake.reads).toBe(2);
  });
});
