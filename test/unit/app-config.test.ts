import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, findRootDir, loadConfig } from '../../src/config/app-config';

const root = findRootDir();

function rootWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'churnwatch-config-'));
  mkdirSync(join(dir, 'config'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'config', name), text);
  return dir;
}

describe('configuration', () => {
  it('loads the committed defaults into typed values', () => {
    const config = loadConfig({}, { rootDir: root });
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeNull();
    expect(config.database.embedded.dataDir).toBe(join(root, '.data/postgres'));
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.process.role).toBe('all');
  });

  it('lets the environment override URLs, secrets and switches', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        DATABASE_URL: 'postgres://u@db:5432/cw',
        REDIS_URL: 'redis://cache:6380',
        CHURNWATCH_MIGRATE: 'false',
        CHURNWATCH_PROCESS: 'worker',
        CHURNWATCH_BOOTSTRAP_ADMIN_KEY: 'k'.repeat(24),
      },
      { rootDir: root },
    );
    expect(config).toMatchObject({
      http: { port: 8080 },
      database: { url: 'postgres://u@db:5432/cw', migrateOnStart: false },
      redis: { url: 'redis://cache:6380' },
      process: { role: 'worker' },
      auth: { bootstrapAdminKey: 'k'.repeat(24) },
    });
  });

  it('points acknowledge links at the port the service listens on unless a public URL is set', () => {
    expect(loadConfig({}, { rootDir: root }).email.publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PORT: '8080' }, { rootDir: root }).email.publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PORT: '8080', CHURNWATCH_PUBLIC_URL: 'https://cw.example.com' }, { rootDir: root }).email.publicUrl).toBe(
      'https://cw.example.com',
    );
  });

  it('merges config/<NODE_ENV>.yaml over the defaults', () => {
    expect(loadConfig({ NODE_ENV: 'test' }, { rootDir: root }).logging.level).toBe('warn');
  });

  it.each([
    [{ PORT: 'eighty' }, /http\.port \(from PORT\): Expected number/],
    [{ CHURNWATCH_PROCESS: 'both' }, /process\.role \(from CHURNWATCH_PROCESS\)/],
    [{ REDIS_URL: 'localhost:6379' }, /redis\.url \(from REDIS_URL\): expected a redis:\/\//],
    [{ CHURNWATCH_BOOTSTRAP_ADMIN_KEY: 'short' }, /auth\.bootstrapAdminKey .*at least 20 characters/],
  ])('stops on an invalid value naming the key: %o', (env, message) => {
    expect(() => loadConfig(env, { rootDir: root })).toThrow(message);
  });

  it('names missing and unknown keys in a config file', () => {
    const dir = rootWith({ 'default.yaml': 'http:\n  port: 3000\n  jsonBodyLimt: 1mb\n' });
    let error: unknown;
    try {
      loadConfig({}, { rootDir: dir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/http\.jsonBodyLimit: Required/);
    expect(String(error)).toMatch(/Unrecognized key\(s\) in object: 'jsonBodyLimt'/);
    expect(String(error)).toMatch(/ingest: Required/);
  });

  it('says which file is missing or unreadable', () => {
    expect(() => loadConfig({}, { rootDir: rootWith({}) })).toThrow(/Missing configuration file .*default\.yaml/);
    expect(() => loadConfig({}, { rootDir: rootWith({ 'default.yaml': 'http: [1, 2' }) })).toThrow(/Cannot read .*default\.yaml/);
  });
});
