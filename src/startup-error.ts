import { ConfigError } from './config/app-config';
import { DatabaseUnavailableError } from './database/open-database';
import { EmbeddedPostgresError } from './database/embedded-postgres';
import { RedisUnavailableError } from './redis/redis.module';
import { DomainError } from './common/domain-error';

/** Known start-up failures are one readable line; anything else keeps its stack for the bug report. */
export function describeStartupError(err: unknown): string {
  const known = [ConfigError, RedisUnavailableError, DatabaseUnavailableError, EmbeddedPostgresError, DomainError];
  if (err instanceof Error && known.some((type) => err instanceof type)) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
