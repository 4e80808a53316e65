import { Injectable } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AppViewRoute } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { JobQueue } from '../jobs/job-queue.service';
import { QueueName } from '../jobs/job-catalogue';
import { QUEUE_VIEW_PATH } from './queue-sessions';

type BoardAdapter = Parameters<typeof createBullBoard>[0]['serverAdapter'];

/** bull-board's page pulls a web font from Google; ours fetches nothing from outside the service. */
const EXTERNAL_STYLESHEET = /<link\b[^>]*href="https?:\/\/[^"]*"[^>]*rel="stylesheet"[^>]*>\s*/g;

/** The bull-board Express adapter, with its page stripped of external fetches. */
class SelfContainedExpressAdapter extends ExpressAdapter {
  constructor() {
    super();
    // bull-board serves from an Express app of its own, which would add X-Powered-By after
    // helmet removed it from the service's answers.
    this.app.disable('x-powered-by');
  }

  override setEntryRoute(route: AppViewRoute): ExpressAdapter {
    const handler = (_req: Request, res: Response, next: NextFunction) => {
      const { name, params } = route.handler({ basePath: this.basePath, uiConfig: this.uiConfig });
      res.render(name, params, (err: Error | null, html: string) => {
        if (err) return next(err);
        res.type('html').set('Cache-Control', 'no-store').send(html.replace(EXTERNAL_STYLESHEET, ''));
      });
    };
    this.app[route.method](route.route, handler);
    return this;
  }
}

/**
 * The operators' queue view: bull-board over this deployment's BullMQ queues (scoring plan
 * and chunk jobs, model training, alert emails). Read-only: runs and the email outbox keep
 * the state of their jobs in Postgres, so a job retried, promoted or removed by hand would
 * disagree with them; the service retries and hands over jobs itself.
 */
@Injectable()
export class QueueView {
  private router: RequestHandler | null = null;

  constructor(private readonly jobs: JobQueue) {}

  /** The Express handler serving bull-board at QUEUE_VIEW_PATH (built on first use). */
  handler(): RequestHandler {
    if (this.router) return this.router;
    const adapter = new SelfContainedExpressAdapter();
    adapter.setBasePath(QUEUE_VIEW_PATH);
    createBullBoard({
      queues: Object.values(QueueName).map((name) => new BullMQAdapter(this.jobs.queue(name), { readOnlyMode: true })),
      // @bull-board/express 9.10.1 ships its own copy of @bull-board/api's types (9.10.1, ours
      // is 9.10.2): the same shape, declared twice, so TypeScript needs telling.
      serverAdapter: adapter as unknown as BoardAdapter,
      options: { uiConfig: { boardTitle: 'churnwatch queues', miscLinks: [{ text: 'Dashboard', url: '/' }], hideDocsLink: true } },
    });
    this.router = adapter.getRouter() as RequestHandler;
    return this.router;
  }
}
