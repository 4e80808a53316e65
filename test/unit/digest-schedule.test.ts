import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIGEST_JOB, DigestService } from '../../src/alerts/delivery/digest.service';
import { loadConfig } from '../../src/config/app-config';
import { JobName } from '../../src/jobs/job-catalogue';
import type { JobQueue } from '../../src/jobs/job-queue.service';

const config = (hour: number | null, timezone: string, role = 'all') =>
  loadConfig({ NODE_ENV: 'test', CHURNWATCH_PROCESS: role }, { overrides: { email: { digest: { hour, timezone } } } });

describe('the daily digest schedule', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] }));
  afterEach(() => vi.useRealTimers());

  it('enqueues the digest job at the configured hour of the configured time zone, keyed by its local date, and builds nothing itself', async () => {
    // 08:00 in Berlin is 07:00 UTC in November
    vi.setSystemTime(new Date('2026-11-24T06:59:50Z'));
    const registry = new SchedulerRegistry();
    const added: unknown[][] = [];
    const queue = { add: async (...args: unknown[]) => void added.push(args) } as unknown as JobQueue;
    const digests = new DigestService(config(8, 'Europe/Berlin'), {} as DataSource, registry, queue);
    const build = vi.spyOn(digests, 'build').mockResolvedValue([]);
    digests.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(added).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(added).toEqual([[JobName.AlertsDigest, { key: '2026-11-24' }, 'digest-2026-11-24']]);
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(added.map((a) => a[2])).toEqual(['digest-2026-11-24', 'digest-2026-11-25']);
    expect(build).not.toHaveBeenCalled();
    await registry.getCronJob(DIGEST_JOB).stop();
  });

  it('is not scheduled in API-only processes or with no hour', () => {
    for (const [hour, role] of [
      [8, 'api'],
      [null, 'all'],
    ] as const) {
      const registry = new SchedulerRegistry();
      new DigestService(config(hour, 'UTC', role), {} as DataSource, registry, {} as JobQueue).onApplicationBootstrap();
      expect(registry.getCronJobs().size).toBe(0);
    }
  });
});
