import { describe, expect, it } from 'vitest';
import { judgeStorm } from '../../src/alerts/alert-storm';

const RULE = { maxShare: 0.1, maxGrowth: 5, minAlerts: 50, notify: 'supportLead' as const };

describe('the alert-storm rule', () => {
  it('holds a run alerting more than the share of its customers, never below the minimum count', () => {
    expect(judgeStorm({ alerts: 1_000_000, scored: 1_000_000, fullRun: true, previousFullRunAlerts: null }, RULE)).toMatchObject({
      storm: true,
    });
    expect(judgeStorm({ alerts: 101, scored: 1000, fullRun: true, previousFullRunAlerts: 100 }, RULE)).toMatchObject({ storm: true });
    expect(judgeStorm({ alerts: 100, scored: 1000, fullRun: true, previousFullRunAlerts: 100 }, RULE)).toEqual({ storm: false });
    // a small book (or a run of a few customers) where everyone is critical
    expect(judgeStorm({ alerts: 49, scored: 49, fullRun: false, previousFullRunAlerts: null }, RULE)).toEqual({ storm: false });
  });

  it('holds a full run alerting many times the previous full run, counted as at least the minimum', () => {
    expect(judgeStorm({ alerts: 5000, scored: 100_000, fullRun: true, previousFullRunAlerts: 1000 }, RULE)).toEqual({ storm: false });
    expect(judgeStorm({ alerts: 5001, scored: 100_000, fullRun: true, previousFullRunAlerts: 1000 }, RULE)).toMatchObject({
      storm: true,
      reason: expect.stringContaining("5× the previous full run's 1000"),
    });
    // after a quiet night (0 alerts) an ordinary one is not a storm: 250 = 5 × max(0, 50)
    expect(judgeStorm({ alerts: 250, scored: 100_000, fullRun: true, previousFullRunAlerts: 0 }, RULE)).toEqual({ storm: false });
    expect(judgeStorm({ alerts: 251, scored: 100_000, fullRun: true, previousFullRunAlerts: 0 }, RULE)).toMatchObject({ storm: true });
    // a segment run is not compared with full runs
    expect(judgeStorm({ alerts: 9000, scored: 100_000, fullRun: false, previousFullRunAlerts: 1000 }, RULE)).toEqual({ storm: false });
  });
});
