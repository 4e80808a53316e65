import { SchedulerRegistry } from '@nestjs/schedule';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/app-config';
import { DomainError } from '../../src/common/domain-error';
import { NIGHTLY_JOB, ScoringScheduler } from '../../src/scoring/scoring-scheduler';
import type { RunRequest, ScoringRunsService, TriggerOptions } from '../../src/scoring/scoring-runs.service';

/** A runs service that records triggers and, like the database, allows one run per key. */
function fakeRuns() {
  const calls: Array<{ request: RunRequest; options: TriggerOptions }> = [];
  const keys = new Set<string>();
  const service = {
    trigger: async (request: RunRequest, options: TriggerOptions) => {
      calls.push({ request, options });
      if (options.triggerKey && keys.has(options.triggerKey)) throw new DomainError('conflict', 'tick already ran');
      if (options.triggerKey) keys.add(options.triggerKey);
      return { id: calls.length };
    },
  } as unknown as ScoringRunsService;
  return { service, calls };
}

const config = (cron: string | null, role = 'all') =>
  loadConfig({ NODE_ENV: 'test', CHURNWATCH_PROCESS: role }, { overrides: { scoring: { cron, timezone: 'UTC' } } });

describe('the rescoring schedule', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());

  it('enqueues a full run when the cron fires, keyed by its minute', async () => {
    vi.setSystemTime(new Date('2026-11-24T01:59:50Z'));
    const { service, calls } = fakeRuns();
    const registry = new SchedulerRegistry();
    new ScoringScheduler(config('0 2 * * *'), registry, service).onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([{ request: {}, options: { trigger: 'cron', triggerKey: 'cron:2026-11-24T02:00:00.000Z' } }]);
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(calls.map((c) => c.options.triggerKey)).toEqual(['cron:2026-11-24T02:00:00.000Z', 'cron:2026-11-25T02:00:00.000Z']);
    await registry.getCronJob(NIGHTLY_JOB).stop();
  });

  it('two processes ticking at the same minute make one run', async () => {
    const { service, calls } = fakeRuns();
    const a = new ScoringScheduler(config('0 2 * * *'), new SchedulerRegistry(), service);
    const b = new ScoringScheduler(config('0 2 * * *'), new SchedulerRegistry(), service);
    const at = new Date('2026-11-24T02:00:00.400Z');
    expect(await a.tick(at)).toBe(1);
    expect(await b.tick(new Date(at.getTime() + 300))).toBeNull();
    expect(calls).toHaveLength(2);
  });

  it('schedules nothing in API-only processes or without a cron', () => {
    for (const [cron, role] of [
      ['0 2 * * *', 'api'],
      [null, 'all'],
    ] as const) {
      const registry = new SchedulerRegistry();
      new ScoringScheduler(config(cron, role), registry, fakeRuns().service).onApplicationBootstrap();
      expect(registry.getCronJobs().size).toBe(0);
    }
  });
});
