import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/app-config';
import type { PlaybookAction } from '../../src/config/alerting-config.schema';
import { rankActions, type ActionContext } from '../../src/playbooks/playbook';

function action(over: Partial<PlaybookAction> & { key: string }): PlaybookAction {
  return {
    text: over.key,
    drivers: ['any'],
    valueSegments: ['high', 'mid', 'low'],
    tiers: ['critical', 'high', 'watch'],
    cost: 0,
    uplift: 0.1,
    ...over,
  };
}

const base: ActionContext = { probability: 0.5, value: 10000, tier: 'watch', valueSegment: 'mid', driverGroups: ['activity'] };
const keys = (ctx: ActionContext, actions: PlaybookAction[]) => rankActions(ctx, actions).map((a) => a.key);

describe('playbook actions keyed by lifecycle stage', () => {
  // 0.5 × 10000 × uplift − cost: onboarding 0.5×10000×0.3 − 60 = 1440, generic 0.5×10000×0.1 = 500, loyalty 0.5×10000×0.2 − 50 = 950
  const actions = [
    action({ key: 'onboarding', stages: ['new'], cost: 60, uplift: 0.3 }),
    action({ key: 'generic' }),
    action({ key: 'loyalty', stages: ['mature'], cost: 50, uplift: 0.2 }),
    action({ key: 'anyStage', stages: ['any'], uplift: 0.01 }),
  ];

  it("fits an action to the customer's stage, ranked by expected saving among the rest", () => {
    expect(rankActions({ ...base, stages: ['new', 'new'] }, actions)).toEqual([
      { key: 'onboarding', text: 'onboarding', cost: 60, expectedSaving: 1440 },
      { key: 'generic', text: 'generic', cost: 0, expectedSaving: 500 },
      { key: 'anyStage', text: 'anyStage', cost: 0, expectedSaving: 50 },
    ]);
    expect(keys({ ...base, stages: ['mature', 'mature'] }, actions)).toEqual(['loyalty', 'generic', 'anyStage']);
    expect(keys({ ...base, stages: ['growing', 'growing'] }, actions)).toEqual(['generic', 'anyStage']);
  });

  it('counts the stage beneath at_risk, so a new customer at risk still gets onboarding', () => {
    expect(keys({ ...base, tier: 'critical', stages: ['at_risk', 'new'] }, actions)).toEqual(['onboarding', 'generic', 'anyStage']);
    expect(keys({ ...base, tier: 'critical', stages: ['at_risk', 'declining'] }, actions)).toEqual(['generic', 'anyStage']);
  });

  it('leaves stage-keyed actions out when the stage is unknown; the other keys still have to fit', () => {
    expect(keys(base, actions)).toEqual(['generic', 'anyStage']);
    // stage fits, tier does not: no key overrides another
    expect(keys({ ...base, stages: ['mature', 'mature'] }, [action({ key: 'loyalty', stages: ['mature'], tiers: ['critical'] })])).toEqual(
      [],
    );
  });

  it('rejects an unknown stage in the config', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    const actionsWith = (stages: string[]) => [{ ...config.playbooks.actions[0], stages }];
    expect(() => loadConfig({ NODE_ENV: 'test' }, { overrides: { playbooks: { actions: actionsWith(['loyal']) } } })).toThrow(/stages/);
    expect(
      loadConfig({ NODE_ENV: 'test' }, { overrides: { playbooks: { actions: actionsWith(['new', 'mature']) } } }).playbooks.actions[0]
        ?.stages,
    ).toEqual(['new', 'mature']);
  });
});
