import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { redactUrl } from '../common/redact-url';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Connects and pings once, so a missing Redis stops start-up with one clear line. */
export async function connectRedis(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null, // BullMQ requires it; commands wait for a reconnect instead of failing
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  // Log each distinct connection problem once instead of once per reconnect attempt.
  const logger = new Logger('Redis');
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger.warn(`Redis connection problem: ${err.message}`);
    lastError = err.message;
  });
  redis.on('ready', () => (lastError = ''));
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
    );
    return redis;
  } catch {
    redis.disconnect();
    throw new RedisUnavailableError(
      `Redis is not answering at ${redactUrl(url)}. Start one (redis-server --daemonize yes --port 6379) ` +
        `or set REDIS_URL to a reachable Redis.`,
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit();
    else this.redis.disconnect();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Redis,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => connectRedis(config.redis.url, config.redis.connectTimeoutMs),
    },
    RedisShutdown,
  ],
  exports: [Redis],
})
export class RedisModule {}
