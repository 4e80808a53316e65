import { describe, expect, it } from 'vitest';
import { findRootDir, loadConfig } from '../../src/config/app-config';
import { DEFAULT_GBM_PARAMS } from '../../src/model/gbm/gbm-train';
import { ModelRegistry } from '../../src/model/model-registry.service';

const root = findRootDir();

describe('model.gbm configuration', () => {
  it('ships the defaults model evaluate uses on a CSV, and complaints that never lower the risk', () => {
    const { monotone, ...params } = loadConfig({}, { rootDir: root }).model.gbm;
    expect(params).toEqual(DEFAULT_GBM_PARAMS);
    expect(monotone.complaints_open).toBe(1);
    expect(monotone.mean_satisfaction).toBe(-1);
  });

  it('names a monotone key that is not a feature (at start-up), and a direction that is not −1, 0 or 1 (in the config)', () => {
    const load = (monotone: Record<string, number>) => loadConfig({}, { rootDir: root, overrides: { model: { gbm: { monotone } } } });
    const registry = new ModelRegistry(load({ complaints_opened: 1 }), null as never, null as never, null as never, null as never);
    expect(() => registry.onApplicationBootstrap()).toThrow('config model.gbm.monotone names unknown feature(s): complaints_opened');
    expect(() => load({ complaints_open: 2 })).toThrow(/model\.gbm\.monotone\.complaints_open/);
  });
});
