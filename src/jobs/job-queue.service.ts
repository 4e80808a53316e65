import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JobsOptions, Queue } from 'bullmq';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { JOB_QUEUE, JobName, JobPayloads, QueueName } from './job-catalogue';

/** Redis connection for BullMQ: commands wait through a reconnect instead of failing. */
export function bullConnection(config: AppConfig): Redis {
  return new Redis(config.redis.url, { maxRetriesPerRequest: null, connectTimeout: config.redis.connectTimeoutMs });
}

/** Typed producer side of the queues. */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly config: AppConfig) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: bullConnection(this.config),
        prefix: this.config.queue.prefix,
        defaultJobOptions: {
          attempts: this.config.queue.attempts,
          backoff: { type: 'exponential', delay: this.config.queue.backoffMs },
          removeOnComplete: { count: 1000 },
          removeOnFail: { count: 5000 },
        },
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add<J extends JobName>(name: J, payload: JobPayloads[J], jobId: string, options: JobsOptions = {}): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, { ...options, jobId });
  }

  async addBulk<J extends JobName>(name: J, jobs: Array<{ payload: JobPayloads[J]; jobId: string }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue(JOB_QUEUE[name]).addBulk(jobs.map((j) => ({ name, data: j.payload, opts: { jobId: j.jobId } })));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
