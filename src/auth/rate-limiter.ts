import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

/** A dead or hung Redis costs a request at most this long before it is let through. */
const COMMAND_TIMEOUT_MS = 250;
const WARN_EVERY_MS = 60_000;

/**
 * One round trip: count the hit and, when the counter is new (or lost its expiry), start
 * its window. Answers the count and the milliseconds left in the window.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

type LimiterRedis = Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

/**
 * Fixed-window request counter per API key in Redis. A key's window starts at its first
 * request, so every key gets exactly its quota per window. The limiter has its own
 * connection, without an offline queue and with a short command timeout: when Redis is
 * down requests are let through at once (fail open; readiness already reports Redis), and
 * that is logged at most once a minute.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private redis: LimiterRedis | null = null;
  private connected: Promise<void> = Promise.resolve();
  private lastWarning = Number.NEGATIVE_INFINITY;

  constructor(private readonly config: AppConfig) {}

  private get settings(): { limit: number; windowMs: number } {
    const { requestsPerWindow, windowSeconds } = this.config.http.rateLimit;
    return { limit: requestsPerWindow, windowMs: windowSeconds * 1000 };
  }

  /** Counts one request of this key; null when limiting is off or Redis does not answer. */
  async hit(keyId: string, now = Date.now()): Promise<RateLimitVerdict | null> {
    const { limit, windowMs } = this.settings;
    if (limit === 0) return null;
    try {
      const redis = await this.connection();
      const [count, ttlMs] = await redis.rateLimitHit(`${this.config.queue.prefix}:rate-limit:${keyId}`, windowMs);
      const resetSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
    } catch (err) {
      this.warn(err as Error, now);
      return null;
    }
  }

  private warn(err: Error, now: number): void {
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn(`Rate limiting is off while Redis does not answer (requests are let through): ${err.message}`);
  }

  /**
   * Connected on the first hit (only processes serving HTTP ever count), which waits for
   * that first connection, up to redis.connectTimeoutMs, so the first requests count too.
   * After that nothing waits: without an offline queue a command fails at once while
   * Redis is away.
   */
  private async connection(): Promise<LimiterRedis> {
    if (!this.redis) {
      const redis = new Redis(this.config.redis.url, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: COMMAND_TIMEOUT_MS,
        connectTimeout: this.config.redis.connectTimeoutMs,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      });
      // Connection errors surface as failed hits, which warn (at most once a minute) themselves.
      redis.on('error', () => undefined);
      redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
      this.redis = redis as LimiterRedis;
      this.connected = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.redis.connectTimeoutMs);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.connected;
    return this.redis;
  }

  async onApplicationShutdown(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    if (!redis) return;
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }
}
