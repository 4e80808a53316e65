import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePrivateRedis } from '../../src/redis/private-redis';
import { freePort } from '../support/net';

describe("the demo's private redis-server", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-private-redis-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is not started when the configured Redis answers', async () => {
    expect(await ensurePrivateRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', dir })).toBeNull();
  });

  it('starts on a free loopback port when nothing answers, serves commands and stops', async () => {
    const silent = await freePort();
    const redis = await ensurePrivateRedis({ url: `redis://127.0.0.1:${silent}`, dir });
    expect(redis).not.toBeNull();
    const client = new Redis(redis!.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.set('cw:probe', 'yes');
      expect(await client.get('cw:probe')).toBe('yes');
    } finally {
      client.disconnect();
      await redis!.stop();
    }
    const after = new Redis(redis!.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('says in one line which package to install when redis-server is missing', async () => {
    const silent = await freePort();
    await expect(ensurePrivateRedis({ url: `redis://127.0.0.1:${silent}`, dir, path: dir })).rejects.toThrow(
      /redis-server is not installed: install it \(apt-get install redis-server\) or set REDIS_URL/,
    );
  });
});
