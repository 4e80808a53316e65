import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { z } from 'zod';
import { alertsSchema, deliverySchema, emailSchema, playbooksSchema, thresholdsSchema } from './alerting-config.schema';
import { modelSchema, queueSchema, scoringSchema, tiersSchema } from './scoring-config.schema';
import { reportingSchema } from './reporting-config.schema';
import { byteSize, httpSchema } from './http-config.schema';
import { economicsSchema } from './economics-config.schema';
import { budgetsSchema } from './budgets-config.schema';
import { gbmSchema } from './gbm-config.schema';
import { lifecycleSchema } from './lifecycle-config.schema';

const schema = z
  .object({
    http: httpSchema,
    process: z.object({ role: z.enum(['api', 'worker', 'all']) }).strict(),
    database: z
      .object({
        url: z.string().url().nullable().default(null),
        embedded: z.object({ dataDir: z.string().min(1), port: z.number().int().min(0).max(65535) }).strict(),
        migrateOnStart: z.boolean(),
        poolSize: z.number().int().min(1).max(200),
        /** Connections of each request-read pool (page, report) per process, beside poolSize. */
        readPoolSize: z.number().int().min(1).max(100),
        /** Seconds a request's statement may run, by kind of request (Postgres statement_timeout). */
        statementTimeouts: z
          .object({
            page: z.number().positive(),
            report: z.number().positive(),
            preview: z.number().positive(),
            export: z.number().positive(),
            training: z.number().positive(),
          })
          .strict(),
      })
      .strict(),
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
        connectTimeoutMs: z.number().int().positive(),
      })
      .strict(),
    ingest: z
      .object({
        futureSkewSeconds: z.number().int().min(0),
        maxErrors: z.number().int().min(1),
        mergeBatchRows: z.number().int().min(1),
        defaultCurrency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD'),
        /** Ingestion requests in progress at once in this process; past it 429 with Retry-After. */
        maxConcurrent: z.number().int().min(1),
        /** Of those, how many hold a database connection (merge) at once; the others wait their turn. */
        maxConcurrentMerges: z.number().int().min(1),
        retryAfterSeconds: z.number().int().min(1),
        /** A streamed upload silent this long answers 408; 0: no limit. */
        bodyIdleTimeoutSeconds: z.number().min(0),
        spool: z
          .object({
            memoryBytes: byteSize,
            /** null: the operating system's temp folder. */
            dir: z.string().min(1).nullable().default(null),
          })
          .strict(),
      })
      .strict(),
    auth: z
      .object({
        bootstrapAdminKey: z.string().min(20, 'must be at least 20 characters').nullable(),
        keyCacheSeconds: z.number().min(0).max(300),
      })
      .strict(),
    queue: queueSchema,
    scoring: scoringSchema,
    tiers: tiersSchema,
    model: modelSchema.extend({ gbm: gbmSchema }),
    thresholds: thresholdsSchema,
    alerts: alertsSchema,
    email: emailSchema,
    delivery: deliverySchema,
    playbooks: playbooksSchema,
    reporting: reportingSchema,
    economics: economicsSchema,
    budgets: budgetsSchema,
    lifecycle: lifecycleSchema,
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
        file: z.string().min(1).nullable().default(null),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Uploads merging must leave connections for pages and the rest of the service.
    if (c.ingest.maxConcurrentMerges >= c.database.poolSize) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['ingest', 'maxConcurrentMerges'],
        message: `must be less than database.poolSize (${c.database.poolSize})`,
      });
    }
    if (c.http.requestTimeoutSeconds > 0 && c.http.headersTimeoutSeconds > c.http.requestTimeoutSeconds) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['http', 'headersTimeoutSeconds'],
        message: 'must not exceed http.requestTimeoutSeconds',
      });
    }
    // Every tier a rule, override or playbook names must be one of the configured tiers.
    const names = c.tiers.map((t) => t.name);
    const known = new Set(names);
    const check = (tier: string, path: Array<string | number>) => {
      if (!known.has(tier))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `unknown tier "${tier}" (tiers: ${names.join(', ')})` });
    };
    for (const tier of Object.keys(c.alerts.rules)) check(tier, ['alerts', 'rules', tier]);
    c.alerts.immediateTiers.forEach((tier, i) => check(tier, ['alerts', 'immediateTiers', i]));
    c.playbooks.actions.forEach((a, i) => a.tiers.forEach((tier, j) => check(tier, ['playbooks', 'actions', i, 'tiers', j])));
    for (const [segment, overrides] of Object.entries(c.thresholds.segments)) {
      for (const tier of Object.keys(overrides)) check(tier, ['thresholds', 'segments', segment, tier]);
      const effective = c.tiers.map((t) => overrides[t.name] ?? t.minProbability);
      if (effective.some((p, i) => i > 0 && p >= (effective[i - 1] as number))) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['thresholds', 'segments', segment],
          message: 'thresholds must still decrease from the highest tier down',
        });
      }
    }
  });

export type AppConfigShape = z.infer<typeof schema>;

/**
 * The validated configuration, injected wherever a setting is needed. Nothing outside
 * this folder reads process.env or the YAML files.
 */
// The class is the injection token; the interface of the same name gives it the schema's
// fields. Merging is safe here: the class declares no member the interface also declares.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class AppConfig {
  /** Absolute folder of the project (where config/ and .data/ live). */
  abstract readonly rootDir: string;
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface AppConfig extends AppConfigShape {}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables that override a config key (secrets and URLs live here). */
const ENV_KEYS: ReadonlyArray<[env: string, path: string, kind: 'string' | 'number' | 'boolean']> = [
  ['PORT', 'http.port', 'number'],
  ['CHURNWATCH_SHUTDOWN_DRAIN_SECONDS', 'http.shutdownDrainSeconds', 'number'],
  ['CHURNWATCH_RATE_LIMIT', 'http.rateLimit.requestsPerWindow', 'number'],
  ['DATABASE_URL', 'database.url', 'string'],
  ['REDIS_URL', 'redis.url', 'string'],
  ['CHURNWATCH_PROCESS', 'process.role', 'string'],
  ['CHURNWATCH_MIGRATE', 'database.migrateOnStart', 'boolean'],
  ['CHURNWATCH_BOOTSTRAP_ADMIN_KEY', 'auth.bootstrapAdminKey', 'string'],
  ['LOG_LEVEL', 'logging.level', 'string'],
  ['CHURNWATCH_QUEUE_PREFIX', 'queue.prefix', 'string'],
  ['SMTP_URL', 'email.smtpUrl', 'string'],
  ['CHURNWATCH_ACK_SECRET', 'email.ackSecret', 'string'],
  ['CHURNWATCH_PUBLIC_URL', 'email.publicUrl', 'string'],
  ['CHURNWATCH_OUTBOX_DIR', 'email.outboxDir', 'string'],
];

export function findRootDir(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'config', 'default.yaml'))) return dir;
    if (dirname(dir) === dir) throw new ConfigError(`config/default.yaml not found above ${start}`);
  }
}

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** Folder holding config/ (default: found above this file). */
  rootDir?: string;
  /** Values merged over the files before the environment (tests, tools). */
  overrides?: Record<string, unknown>;
}

/**
 * Reads config/default.yaml, merges config/<NODE_ENV>.yaml and the environment over it,
 * validates the result and returns it. Throws ConfigError naming the bad key.
 */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): AppConfig {
  const rootDir = options.rootDir ?? findRootDir();
  const base = readYaml(join(rootDir, 'config', 'default.yaml'), true);
  const profile = env.NODE_ENV ? readYaml(join(rootDir, 'config', `${env.NODE_ENV}.yaml`), false) : {};
  const merged = deepMerge(deepMerge(base, profile), options.overrides ?? {});
  const sources = new Map<string, string>();
  for (const [name, path, kind] of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, path, coerce(raw, kind));
    sources.set(path, name);
  }
  // Acknowledge links follow the port the service listens on unless a public URL is set.
  const email = isPlainObject(merged.email) ? merged.email : {};
  const http = isPlainObject(merged.http) ? merged.http : {};
  if (email.publicUrl === null || email.publicUrl === undefined)
    setPath(merged, 'email.publicUrl', `http://localhost:${String(http.port)}`);
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const from = sources.get(key);
      return `${key}${from ? ` (from ${from})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const data = parsed.data;
  data.database.embedded.dataDir = resolve(rootDir, data.database.embedded.dataDir);
  data.email.outboxDir = resolve(rootDir, data.email.outboxDir);
  if (data.logging.file) data.logging.file = resolve(rootDir, data.logging.file);
  if (data.ingest.spool.dir) data.ingest.spool.dir = resolve(rootDir, data.ingest.spool.dir);
  return Object.freeze(Object.assign(Object.create(AppConfig.prototype), data, { rootDir })) as AppConfig;
}

function readYaml(file: string, required: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) throw new ConfigError(`Missing configuration file ${file}`);
    return {};
  }
  try {
    const doc = parseYaml(readFileSync(file, 'utf8'));
    if (doc === undefined || doc === null) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('top level must be a mapping');
    return doc as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}`);
  }
}

function coerce(raw: string, kind: 'string' | 'number' | 'boolean'): unknown {
  if (kind === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}
