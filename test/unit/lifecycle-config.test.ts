import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app-config';
import { checkLifecycleTiers } from '../../src/scoring/lifecycle-stage';

describe('lifecycle config', () => {
  it('reads the defaults: new below 90 days, mature from 365, at risk in critical and high', () => {
    const { lifecycle } = loadConfig({ NODE_ENV: 'test' });
    expect(lifecycle).toMatchObject({ newTenureDays: 90, matureTenureDays: 365, atRiskTiers: ['critical', 'high'] });
  });

  it('refuses a new age beyond the mature one, and an at-risk tier that is not a tier', () => {
    expect(() => loadConfig({ NODE_ENV: 'test' }, { overrides: { lifecycle: { newTenureDays: 400 } } })).toThrow(/newTenureDays/);
    const { lifecycle, tiers } = loadConfig({ NODE_ENV: 'test' }, { overrides: { lifecycle: { atRiskTiers: ['urgent'] } } });
    expect(() =>
      checkLifecycleTiers(
        lifecycle,
        tiers.map((t) => t.name),
      ),
    ).toThrow('config lifecycle.atRiskTiers: unknown tier "urgent"');
  });
});
