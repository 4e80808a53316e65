import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './common/http-exception.filter';

/**
 * HTTP wiring shared by main.ts and the tests: JSON bodies only for application/json
 * (NDJSON and CSV stay raw streams for ingestion), one error format, OpenAPI at /docs.
 */
export function configureHttpApp(app: INestApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  (app.getHttpServer() as Server).requestTimeout = config.http.requestTimeoutSeconds * 1000;
  const filter = new HttpExceptionFilter(config.http.jsonBodyLimit);
  app.use(express.json({ limit: config.http.jsonBodyLimit, type: 'application/json' }));
  // Body-parser errors happen before Nest routing; answer them in the same format.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => filter.respond(err, req, res));
  app.useGlobalFilters(filter);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('churnwatch')
      .setDescription('Churn early-warning service: signals in, churn risk and alerts out. Contract: API.md (v1).')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
