import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { StoredSecret } from '../database/stored-secret';
import { MetricsService } from '../health/metrics.service';
import { Gauge } from 'prom-client';
import { JOB_QUEUE, JobName, JobPayloads, QueueName } from './job-catalogue';

/** Redis connection for BullMQ: commands wait through a reconnect instead of failing. */
export function bullConnection(config: AppConfig): Redis {
  return new Redis(config.redis.url, { maxRetriesPerRequest: null, connectTimeout: config.redis.connectTimeoutMs });
}

/**
 * Closes a BullMQ queue or worker: gracefully while Redis answers; when it does not,
 * dropping the connection instead, since a graceful close would wait for Redis forever
 * and keep SIGTERM from exiting.
 */
export async function closeBull(closable: { close(): Promise<void> }, connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    await closable.close();
    return;
  }
  connection.disconnect();
  void closable.close().catch(() => undefined);
}

/** Retry and concurrency settings of a queue: email delivery has its own, every other queue the shared ones. */
export function queueSettings(config: AppConfig, queue: QueueName): { attempts: number; backoffMs: number; concurrency: number } {
  if (queue === QueueName.Alerts) {
    const d = config.delivery;
    return { attempts: d.attempts, backoffMs: d.backoffMs, concurrency: d.concurrency };
  }
  const q = config.queue;
  return { attempts: q.attempts, backoffMs: q.backoffMs, concurrency: q.concurrency };
}

/** Deletes every queue key under a prefix (a deployment's or a test's queues), page by page. */
export async function deleteQueueKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * Typed producer side of the queues. Job ids are deterministic (run 7's plan job is
 * always the same job) and BullMQ keeps finished jobs for a while, so a database that was
 * reset or recreated would find its new run 7 "already queued" by the old one. Every id
 * is therefore prefixed with this database's instance id, generated once and kept in it.
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, { queue: Queue; connection: Redis }>();
  private readonly instance: StoredSecret;

  constructor(
    private readonly config: AppConfig,
    dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.instance = new StoredSecret(dataSource, 'instance-id', () => randomBytes(6).toString('hex'));
    const queue = (name: QueueName) => this.queue(name);
    new Gauge({
      name: 'churnwatch_queue_jobs',
      help: 'Jobs on each queue by state (waiting, active, delayed, failed), as Redis holds them for every process',
      labelNames: ['queue', 'state'] as const,
      registers: [metrics.registry],
      async collect() {
        const counts = await Promise.all(
          Object.values(QueueName).map(async (name) => ({
            name,
            // BullMQ's connection waits through a Redis outage; a scrape must not.
            counts: await Promise.race([
              queue(name)
                .getJobCounts('waiting', 'active', 'delayed', 'failed')
                .catch(() => null),
              new Promise<null>((resolve) => setTimeout(resolve, 1000, null).unref()),
            ]),
          })),
        );
        for (const { name, counts: c } of counts) if (c) for (const [state, n] of Object.entries(c)) this.set({ queue: name, state }, n);
      },
    });
  }

  private async jobId(id: string): Promise<string> {
    return `${await this.instance.get()}.${id}`;
  }

  queue(name: QueueName): Queue {
    let entry = this.queues.get(name);
    if (!entry) {
      const connection = bullConnection(this.config);
      const settings = queueSettings(this.config, name);
      const queue = new Queue(name, {
        connection,
        prefix: this.config.queue.prefix,
        defaultJobOptions: {
          attempts: settings.attempts,
          backoff: { type: 'exponential', delay: settings.backoffMs },
          removeOnComplete: { count: 1000 },
          removeOnFail: { count: 5000 },
        },
      });
      entry = { queue, connection };
      this.queues.set(name, entry);
    }
    return entry.queue;
  }

  async add<J extends JobName>(name: J, payload: JobPayloads[J], jobId: string, options: JobsOptions = {}): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, { ...options, jobId: await this.jobId(jobId) });
  }

  /** Whether a job with this id is still on its queue (waiting, active, delayed or failed). */
  async exists(name: JobName, jobId: string): Promise<boolean> {
    const job = await this.queue(JOB_QUEUE[name]).getJob(await this.jobId(jobId));
    if (!job) return false;
    return !(await job.isCompleted());
  }

  async addBulk<J extends JobName>(name: J, jobs: Array<{ payload: JobPayloads[J]; jobId: string }>): Promise<void> {
    if (jobs.length === 0) return;
    const ids = await Promise.all(jobs.map((j) => this.jobId(j.jobId)));
    await this.queue(JOB_QUEUE[name]).addBulk(jobs.map((j, i) => ({ name, data: j.payload, opts: { jobId: ids[i] } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => closeBull(q.queue, q.connection)));
    this.queues.clear();
  }
}
