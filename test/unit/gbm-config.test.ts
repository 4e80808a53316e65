import { describe, expect, it } from 'vitest';
import { findRootDir, loadConfig } from '../../src/config/app-config';
import { DEFAULT_GBM_PARAMS } from '../../src/model/gbm/gbm-train';

const root = findRootDir();

describe('model.gbm configuration', () => {
  it('ships the defaults model evaluate uses on a CSV, and complaints that never lower the risk', () => {
    const { monotone, ...params } = loadConfig({}, { rootDir: root }).model.gbm;
    expect(params).toEqual(DEFAULT_GBM_PARAMS);
    expect(monotone.complaints_open).toBe(1);
    expect(monotone.mean_satisfaction).toBe(-1);
  });

  it('names a monotone key that is not a feature, and a direction that is not −1, 0 or 1', () => {
    const load = (monotone: Record<string, number>) => () => loadConfig({}, { rootDir: root, overrides: { model: { gbm: { monotone } } } });
    expect(load({ complaints_opened: 1 })).toThrow('model.gbm.monotone.complaints_opened: unknown feature "complaints_opened"');
    expect(load({ complaints_open: 2 })).toThrow(/model\.gbm\.monotone\.complaints_open/);
  });
});
