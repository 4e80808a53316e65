import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig, loadConfig } from './config/app-config';
import { configureHttpApp } from './http-app';

/** Starts the service; any start-up failure is one readable line and exit code 1. */
async function bootstrap(): Promise<void> {
  const config: AppConfig = loadConfig();
  const module = AppModule.register(config);
  if (config.process.role === 'worker') {
    // No HTTP: queue workers and crons only (they arrive with the scoring issue).
    const context = await NestFactory.createApplicationContext(module, { bufferLogs: true, abortOnError: false });
    context.enableShutdownHooks();
    return;
  }
  const app = await NestFactory.create(module, { bodyParser: false, bufferLogs: true, abortOnError: false });
  configureHttpApp(app, config);
  await app.listen(config.http.port);
}

bootstrap().catch((err: Error) => {
  process.stderr.write(`churnwatch failed to start: ${err.message}\n`);
  process.exit(1);
});
