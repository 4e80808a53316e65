import 'reflect-metadata';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/app-config';
import { describeStartupError } from '../startup-error';
import { createApiKey, demo, migration, seed, SeedOptions } from './commands';
import { ModelEvaluateFlags, runModelEvaluate } from '../model/evaluate-csv';
import { MODEL_KINDS, type ModelKind } from '../model/model-spec';
import { score, trainModel } from './scoring-commands';
import { ensurePrivateRedis } from '../redis/private-redis';
import { ImportOptions, runImport } from '../imports/import-command';
import { withContext } from './context';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function eventRate(value: string): number {
  const n = Number(value);
  if (!(n >= 0.01 && n <= 100)) throw new InvalidArgumentError('expected a number within [0.01, 100]');
  return n;
}

function modelKind(value: string): ModelKind {
  if (!(MODEL_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${MODEL_KINDS.join(', ')}`);
  return value as ModelKind;
}

function isoDate(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO-8601 date');
  return d;
}

interface SeedFlags {
  customers: number;
  months: number;
  seed: number;
  asOf?: Date;
  eventRate?: number;
  /** commander's --no-economics: false; true otherwise */
  economics: boolean;
}

function seedOptions(flags: SeedFlags): SeedOptions {
  return {
    customers: flags.customers,
    months: flags.months,
    seed: flags.seed,
    asOf: flags.asOf ?? new Date(),
    eventRate: flags.eventRate,
    economics: flags.economics,
  };
}

const program = new Command('churnwatch').description('churnwatch command line');
// CLI output is for people; the service's JSON logs would drown it.
const quietConfig = () => loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });

const apikey = program.command('apikey').description('API keys');
apikey
  .command('create')
  .description('create an API key and print it once')
  .requiredOption('--role <role>', 'admin | ingest | scheduler | lead | manager')
  .requiredOption('--name <name>', 'who or what uses the key')
  .option('--email <email>', "the account manager's email (required for role manager)")
  .action((opts: { role: string; name: string; email?: string }) => createApiKey(quietConfig(), opts));

/** The generator's options, shared by seed and demo. */
function bookOptions(command: Command): Command {
  return command
    .option('--customers <n>', 'number of customers', positiveInt, 2000)
    .option('--months <n>', 'months of history', positiveInt, 12)
    .option('--seed <n>', 'random seed', positiveInt, 1)
    .option('--no-economics', 'without acquisition channels, costs and NPS / CSAT surveys (signals only)');
}

bookOptions(program.command('seed').description('write a synthetic book of business through the ingestion path'))
  .option('--as-of <date>', 'end of the history (default: now)', isoDate)
  .option('--event-rate <x>', 'activity, payments and complaints this many times as often as the demo book (default 1)', eventRate)
  .action((flags: SeedFlags) => seed(quietConfig(), seedOptions(flags)));

const migrations = program.command('migration').description('database schema');
for (const action of ['run', 'revert', 'show'] as const) {
  migrations
    .command(action)
    .description({ run: 'apply pending migrations', revert: 'revert the latest migration', show: 'list migrations' }[action])
    .action(() => migration(quietConfig(), action));
}

bookOptions(program.command('demo').description('start the service, seed a demo book once and serve it (Ctrl-C stops)')).action(
  async (flags: SeedFlags) => {
    const config = quietConfig();
    // With no REDIS_URL and nothing answering at the default, a private redis-server (as
    // the embedded PostgreSQL): a machine with Node and the Redis package is enough.
    const redis = process.env.REDIS_URL
      ? null
      : await ensurePrivateRedis({ url: config.redis.url, dir: join(config.rootDir, '.data', 'redis') });
    if (redis) process.stderr.write(`Started a private redis-server at ${redis.url} (stopped with the demo).\n`);
    await demo(
      redis ? loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', REDIS_URL: redis.url }) : config,
      seedOptions(flags),
    );
  },
);

const model = program.command('model').description('churn models');
// Pure computation on a CSV: no configuration, database or Redis needed.
model
  .command('evaluate')
  .description('backtest a model kind on a CSV feature table (stratified split); the last line is the metrics as JSON')
  .requiredOption('--csv <file>', 'the feature table')
  .requiredOption('--label <column>', 'the 0/1 churn column (1/0, true/false, yes/no)')
  .option('--exclude <columns>', 'comma-separated columns to drop, e.g. ids')
  .option('--test-fraction <f>', 'share of rows held out (default 0.3)')
  .option('--seed <n>', 'split seed (default 1)')
  .option('--kind <kind>', 'logistic (default) or gbm (gradient-boosted trees)')
  .action((flags: ModelEvaluateFlags) => {
    process.exitCode = runModelEvaluate(flags);
  });

model
  .command('train')
  .description('fit and evaluate a model version on labelled history (as POST /v1/models/train, in this process)')
  .option('--horizon-days <n>', 'label: churned within this many days after each snapshot', positiveInt)
  .option('--kind <kind>', 'logistic (default) or gbm (gradient-boosted trees)', modelKind)
  .option('--as-of <date>', 'treat this instant as now (default: now)', isoDate)
  .option('--activate', 'make it the active model (refused if worse than the active one, unless --force)', false)
  .option('--force', 'activate even when worse than the active model', false)
  .action((flags: { horizonDays?: number; kind?: ModelKind; asOf?: Date; activate: boolean; force: boolean }) =>
    trainModel(quietConfig(), flags),
  );

program
  .command('score')
  .description('run a scoring run (everyone, a segment or listed customers) with workers in this process and print it')
  .option('--segment <segment>', 'only this segment')
  .option('--customers <ids>', 'comma-separated customer externalIds')
  .option(
    '--as-of <date>',
    'score as of this past instant (default: now); earlier than the live runs it is a backfill (history only)',
    isoDate,
  )
  .action((flags: { segment?: string; customers?: string; asOf?: Date }) =>
    score(
      quietConfig(),
      {
        segment: flags.segment,
        customerIds: flags.customers
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      },
      flags.asOf,
    ),
  );

program
  .command('import')
  .description('import a CRM export (Zoho CRM, Fxiaoke, or any CSV/JSON with a map) through the ingestion path, all or nothing')
  .argument('<file>', 'the export: CSV, or JSON (an array of records or an API answer holding one)')
  .requiredOption('--from <crm>', 'zoho | fxiaoke | generic')
  .requiredOption('--kind <kind>', 'customers | complaints | spend | costs')
  .option('--map <file>', 'mapping file (default: the shipped config/import/ map for the CRM and kind)')
  .option('--owners <file>', "owners table (owner as the CRM shows it: manager email), overriding the map's ownersFile")
  .option('--time-zone <zone>', "IANA zone of dates without an offset, overriding the map's timeZone")
  .option('--dry-run', 'validate and report what would be stored, store nothing', false)
  .action(async (file: string, flags: Omit<ImportOptions, 'file'>) => {
    const report = await runImport(
      quietConfig(),
      { ...flags, file },
      { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
      withContext,
    );
    if (report.errorCount > 0) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`churnwatch: ${describeStartupError(err)}\n`);
  process.exit(1);
});
