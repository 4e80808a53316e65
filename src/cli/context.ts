import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { AppConfig } from '../config/app-config';
import { CliModule } from './cli.module';

/**
 * Runs fn in a Nest context of CliModule (database, keys, seeder: no Redis), or of the
 * whole service when `whole` (queues, and workers unless the process role is api).
 */
export async function withContext<T>(config: AppConfig, fn: (ctx: INestApplicationContext) => Promise<T>, whole = false): Promise<T> {
  const module = whole ? AppModule.register(config) : CliModule.register(config);
  const ctx = await NestFactory.createApplicationContext(module, { logger: false, abortOnError: false });
  ctx.useLogger(ctx.get(Logger));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
