import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { completeOpenApi } from './http/openapi-document';
import { InputGuardPipe, noStore } from './common/input-guard.pipe';
import { rejectInvalidUtf8 } from './common/strict-utf8';
import { securityHeaders } from './http/security-headers';
import { configureCors } from './http/cors';
import { QUEUE_VIEW_PATH } from './operations/queue-sessions';
import { QueueView } from './operations/queue-view';
import { QueueViewAccess } from './operations/queue-view-access';
import { MetricsService } from './health/metrics.service';

/**
 * Times every answer by its route template (`/v1/customers/:id`, never the id itself, so the
 * series stay few); requests no route matched, the dashboard's files among them, are "unmatched".
 */
function requestDurations(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const template = typeof route === 'string' ? `${req.baseUrl}${route}` : 'unmatched';
      metrics.recordHttp(req.method, template, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/**
 * HTTP wiring shared by main.ts and the tests: security headers and CORS first (so every
 * answer has them), JSON bodies only for application/json (NDJSON and CSV stay raw
 * streams for ingestion), the admin queue view, one error format, OpenAPI at /docs.
 * Request headers stay within Node's 16 KB limit (431 above it) and must arrive within
 * http.headersTimeoutSeconds; a whole request within http.requestTimeoutSeconds.
 */
export function configureHttpApp(app: INestApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  const server = app.getHttpServer() as Server;
  server.requestTimeout = config.http.requestTimeoutSeconds * 1000;
  // A client dribbling its headers holds only a socket, and not for long (408, then closed).
  server.headersTimeout = config.http.headersTimeoutSeconds * 1000;
  // No ETag hashed from every answer's body (SHA-1 of a 40 KB list page, each time): the API's
  // answers are not cached; the dashboard's assets set their own ETag, so they still revalidate with 304.
  (app as NestExpressApplication).set('etag', false);
  const filter = new HttpExceptionFilter(config.http.jsonBodyLimit);
  app.use(requestDurations(app.get(MetricsService)));
  app.use(...securityHeaders(config));
  configureCors(app, config);
  // API answers hold customer data: never kept by a browser or proxy.
  app.use('/v1', noStore);
  app.use(express.json({ limit: config.http.jsonBodyLimit, type: 'application/json', verify: rejectInvalidUtf8 }));
  // Only processes serving HTTP get here, so only they open connections to the queues' Redis for it.
  app.use(QUEUE_VIEW_PATH, app.get(QueueViewAccess).middleware(), app.get(QueueView).handler());
  // Body-parser errors happen before Nest routing; answer them in the same format.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => filter.respond(err, req, res));
  app.useGlobalFilters(filter);
  // No NUL or lone surrogate in any path parameter, query value or JSON body (a 400 naming it).
  app.useGlobalPipes(new InputGuardPipe());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('churnwatch')
      .setDescription('Churn early-warning service: signals in, churn risk and alerts out. Contract: API.md (v1).')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
      .build(),
  );
  completeOpenApi(document, config.email.publicUrl);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
