import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { Logger } from 'nestjs-pino';
import { AppConfig, loadConfig } from './config/app-config';
import { configureHttpApp } from './http-app';
import { describeStartupError } from './startup-error';
import { stopOnSignals } from './common/shutdown';
import { HealthService } from './health/health.service';
import { defaultPublicUrlWarning } from './common/public-url-warning';

/** Starts the service; any start-up failure is one readable line and exit code 1. */
async function bootstrap(): Promise<void> {
  const config: AppConfig = loadConfig();
  // Said once the service is up, in its log: a start that fails stays one line.
  const publicUrlWarning = defaultPublicUrlWarning(config, process.env);
  const module = AppModule.register(config);
  if (config.process.role === 'worker') {
    // No HTTP: queue workers and crons only (they arrive with the scoring issue).
    const context = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
    context.useLogger(context.get(Logger));
    if (publicUrlWarning) context.get(Logger).warn(publicUrlWarning);
    stopOnSignals(context);
    return;
  }
  // Nest's own logger stays off until pino is attached, so a failed start is our one line.
  const app = await NestFactory.create(module, { bodyParser: false, logger: false, abortOnError: false });
  configureHttpApp(app, config);
  const health = app.get(HealthService);
  stopOnSignals(app, { drainSeconds: config.http.shutdownDrainSeconds, startDraining: () => health.startDraining() });
  await app.listen(config.http.port);
  if (publicUrlWarning) app.get(Logger).warn(publicUrlWarning);
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`churnwatch failed to start: ${describeStartupError(err)}\n`);
  process.exit(1);
});
