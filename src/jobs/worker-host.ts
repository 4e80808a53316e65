import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health/metrics.service';
import { JOB_HANDLER } from './job-handler.decorator';
import { JOB_PAYLOADS, JOB_QUEUE, JobName, JobOutcome, QueueName } from './job-catalogue';
import Redis from 'ioredis';
import { bullConnection, closeBull, queueSettings } from './job-queue.service';

type Handler = (payload: unknown, job: Job) => Promise<JobOutcome>;

/** How long after its last scoring job a process waits before it takes email jobs again (chunks come back to back). */
const RESUME_DELIVERY_AFTER_MS = 1_000;

/** Listeners told when a job has failed for the last time (e.g. to fail its run). */
export type FinalFailureListener = (name: JobName, payload: unknown, error: Error) => Promise<void>;

/**
 * Runs the queue workers in `worker` and `all` processes. Handlers are discovered by
 * @JobHandler; a job without a handler, or with two, stops start-up.
 */
@Injectable()
export class WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly workers: Array<{ queue: QueueName; worker: Worker; connection: Redis }> = [];
  /** Scoring jobs this process is running now. */
  private scoring = 0;
  private resumeDelivery: NodeJS.Timeout | null = null;
  /** While scoring pauses delivery: resolves when this process takes email jobs again. */
  private deliveryGate: { open: Promise<void>; release: () => void } | null = null;
  private readonly handlers = new Map<JobName, Handler>();
  private readonly failureListeners: FinalFailureListener[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {}

  onFinalFailure(listener: FinalFailureListener): void {
    this.failureListeners.push(listener);
  }

  onApplicationBootstrap(): void {
    this.collectHandlers();
    if (this.config.process.role === 'api') return;
    for (const queue of new Set(Object.values(JOB_QUEUE))) this.workers.push({ queue, ...this.startWorker(queue) });
  }

  private collectHandlers(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER, instance[method] as () => unknown);
        if (!name) continue;
        if (this.handlers.has(name)) throw new Error(`Job ${name} has two handlers`);
        this.handlers.set(name, (instance[method] as Handler).bind(instance));
      }
    }
    const missing = Object.values(JobName).filter((name) => !this.handlers.has(name));
    if (missing.length > 0) throw new Error(`No handler for job(s): ${missing.join(', ')}`);
    this.metrics.declareJobs([...this.handlers.keys()]);
  }

  private startWorker(queue: QueueName): { worker: Worker; connection: Redis } {
    const { queue: q } = this.config;
    const settings = queueSettings(this.config, queue);
    const connection = bullConnection(this.config);
    const worker = new Worker(queue, (job: Job) => this.run(job), {
      connection,
      prefix: q.prefix,
      concurrency: settings.concurrency,
      lockDuration: q.lockDurationMs,
      stalledInterval: q.stalledIntervalMs,
      maxStalledCount: settings.attempts,
    });
    worker.on('failed', (job, err) => void this.failed(job, err));
    worker.on('error', (err) => this.logger.warn(`Worker ${queue}: ${err.message}`));
    return { worker, connection };
  }

  private async run(job: Job): Promise<JobOutcome> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`No handler for job ${job.name}`);
    const payload = JOB_PAYLOADS[job.name as JobName].safeParse(job.data);
    if (!payload.success) {
      const problems = payload.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new UnrecoverableError(`bad payload: ${problems}`);
    }
    // A paused worker still takes the one job its pending fetch returns: that one waits too.
    if (JOB_QUEUE[job.name as JobName] === QueueName.Alerts && this.deliveryGate) await this.deliveryGate.open;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const scoring = JOB_QUEUE[job.name as JobName] === QueueName.Scoring;
    if (scoring) this.scoringStarted();
    try {
      const outcome = await handler(payload.data, job);
      this.metrics.recordJob(job.name, outcome, seconds());
      return outcome;
    } catch (err) {
      this.metrics.recordJob(job.name, 'failed', seconds());
      throw err;
    } finally {
      if (scoring) this.scoringEnded();
    }
  }

  /**
   * Scoring first (delivery.pauseWhileScoring): while this process scores chunks it takes
   * no email jobs, and takes them again a second after its last chunk. On a small machine
   * sending thousands of emails beside a run doubled the run; emails wait meanwhile in the
   * queue and the Postgres outbox, so nothing is lost, and go out right after the run.
   */
  private scoringStarted(): void {
    this.scoring++;
    if (!this.config.delivery.pauseWhileScoring) return;
    if (this.resumeDelivery) clearTimeout(this.resumeDelivery);
    this.resumeDelivery = null;
    if (!this.deliveryGate) {
      let release = () => {};
      const open = new Promise<void>((resolve) => (release = resolve));
      this.deliveryGate = { open, release };
    }
    const delivery = this.workerOf(QueueName.Alerts);
    if (delivery && !delivery.isPaused())
      void delivery.pause(true).catch((err: Error) => this.logger.warn(`Pausing email delivery: ${err.message}`));
  }

  private scoringEnded(): void {
    this.scoring--;
    if (this.scoring > 0 || !this.config.delivery.pauseWhileScoring) return;
    if (this.resumeDelivery) clearTimeout(this.resumeDelivery);
    this.resumeDelivery = setTimeout(() => this.openDelivery(), RESUME_DELIVERY_AFTER_MS);
    this.resumeDelivery.unref();
  }

  private openDelivery(): void {
    this.resumeDelivery = null;
    this.deliveryGate?.release();
    this.deliveryGate = null;
    const delivery = this.workerOf(QueueName.Alerts);
    if (delivery?.isPaused()) void delivery.resume();
  }

  private workerOf(queue: QueueName): Worker | undefined {
    return this.workers.find((w) => w.queue === queue)?.worker;
  }

  private async failed(job: Job | undefined, err: Error): Promise<void> {
    if (!job) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(`Job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}${final ? ', final' : ''}): ${err.message}`);
    // A payload that never passed its schema belongs to no run or model: nothing to fail.
    if (!final || !JOB_PAYLOADS[job.name as JobName]?.safeParse(job.data).success) return;
    for (const listener of this.failureListeners) {
      await listener(job.name as JobName, job.data, err).catch((e: Error) => this.logger.error(`Failure listener: ${e.message}`));
    }
  }

  /** Before any module closes its connections: close() waits for active jobs, so SIGTERM drains in-flight chunks. */
  async beforeApplicationShutdown(): Promise<void> {
    // Email jobs held back for scoring go on, so close() does not wait for them forever.
    if (this.resumeDelivery) clearTimeout(this.resumeDelivery);
    this.deliveryGate?.release();
    await Promise.all(this.workers.map((w) => closeBull(w.worker, w.connection)));
  }
}
