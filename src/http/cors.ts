import { INestApplication } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/**
 * CORS is closed unless http.cors.origins lists browser origins: then exactly those may
 * call the API with their own key (Authorization header, no cookies). With none listed a
 * cross-origin preflight gets no Access-Control-Allow-Origin, so browsers refuse the call.
 */
export function configureCors(app: INestApplication, config: AppConfig): void {
  const origins = config.http.cors.origins;
  if (origins.length === 0) return;
  app.enableCors({
    origin: origins,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'Content-Disposition'],
    credentials: false,
    maxAge: 600,
  });
}
