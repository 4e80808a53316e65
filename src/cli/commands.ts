import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { ApiKeysService } from '../auth/api-keys.service';
import { AppConfig } from '../config/app-config';
import { openDatabase } from '../database/open-database';
import { SeedService } from '../demo/seed.service';
import { configureHttpApp } from '../http-app';
import { withContext } from './context';
import { DomainError } from '../common/domain-error';
import { isEmail } from '../common/text-checks';
import { stopOnSignals } from '../common/shutdown';
import { printScoreReport, runAndWait } from './scoring-commands';
import { ScoreExplainer } from '../model/score-explainer';
import type { RunView } from '../scoring/run-view';
import { deliverAndReport } from './alert-commands';
import { AlertsService } from '../alerts/alerts.service';
import { recordDemoOutcomes } from '../demo/demo-outcomes';

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

export async function createApiKey(config: AppConfig, opts: { role: string; name: string; email?: string }): Promise<void> {
  // A manager key's email is the account manager its customers are matched by: a typo
  // would make a key that sees nobody.
  if (opts.email !== undefined && !isEmail(opts.email.trim())) {
    throw new DomainError('validation_failed', `--email: '${opts.email}' is not an email address (expected name@domain.tld)`);
  }
  await withContext(config, async (ctx) => {
    const created = await ctx.get(ApiKeysService).create(opts);
    note(`Created ${created.role} key "${opts.name}" (id ${created.id}). It is shown once; store it now.`);
    out(created.key);
  });
}

export interface SeedOptions {
  customers: number;
  months: number;
  seed: number;
  asOf: Date;
  /** BookOptions.eventRate (seed only; the demo uses the demo book's rates) */
  eventRate?: number;
  /** BookOptions.economics: channels, costs and surveys too */
  economics?: boolean;
}

export async function seed(config: AppConfig, opts: SeedOptions): Promise<void> {
  await withContext(config, async (ctx) => {
    const report = await ctx.get(SeedService).seed(opts, (done) => note(`  ${done} / ${opts.customers} customers`));
    out(JSON.stringify(report));
  });
}

export async function migration(config: AppConfig, action: 'run' | 'revert' | 'show'): Promise<void> {
  const database = await openDatabase(config, false);
  try {
    const ds = database.dataSource;
    if (action === 'run') {
      const ran = await ds.runMigrations({ transaction: 'each' });
      out(ran.length ? `Applied: ${ran.map((m) => m.name).join(', ')}` : 'Nothing to apply: the schema is up to date.');
    } else if (action === 'revert') {
      const before = await appliedMigrations(ds);
      await ds.undoLastMigration({ transaction: 'each' });
      out(before.length ? `Reverted: ${before[before.length - 1]}` : 'Nothing to revert.');
    } else {
      const applied = new Set(await appliedMigrations(ds));
      for (const m of ds.migrations) out(`${applied.has(m.name!) ? '[x]' : '[ ]'} ${m.name}`);
    }
  } finally {
    await database.close();
  }
}

async function appliedMigrations(ds: DataSource): Promise<string[]> {
  const exists: { t: string | null }[] = await ds.query(`SELECT to_regclass('migrations')::text AS t`);
  if (!exists[0].t) return [];
  const rows: { name: string }[] = await ds.query(`SELECT name FROM migrations ORDER BY id`);
  return rows.map((r) => r.name);
}

/**
 * The newcomer's command: start the service on the embedded default, migrate, seed a
 * demo book (once), print a key and what to try, and serve until Ctrl-C.
 */
export async function demo(config: AppConfig, opts: SeedOptions): Promise<void> {
  const app = await NestFactory.create(AppModule.register(config), { bodyParser: false, logger: false, abortOnError: false });
  configureHttpApp(app, config);
  const ds = app.get(DataSource);
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM customers`);
  if (n === 0) {
    note(`Seeding a demo book of ${opts.customers} customers over ${opts.months} months...`);
    const report = await app.get(SeedService).seed(opts, (done) => note(`  ${done} / ${opts.customers} customers`));
    note(`Seeded in ${report.seconds.toFixed(1)} s.`);
  }
  const { key } = await app.get(ApiKeysService).create({ role: 'admin', name: `demo ${new Date().toISOString()}` });
  stopOnSignals(app);
  await app.listen(config.http.port);
  // As if the nightly run had run two weeks ago, last week and now: alert rules want a
  // tier to last (high: 2 runs, watch: 3) before they alert, as in production.
  note('Scoring every customer as of 14 days ago, 7 days ago and now (runs of chunk jobs on the BullMQ queue)...');
  let run: RunView | null = null;
  for (const daysAgo of [14, 7, 0]) {
    const asOf = daysAgo === 0 ? undefined : new Date(Date.now() - daysAgo * 86_400_000);
    run = await runAndWait(app, {}, undefined, asOf);
    note(
      `Run ${run.id} ${run.status}: ${run.customersScored} customers in ${((Date.parse(run.finishedAt ?? '') - Date.parse(run.createdAt)) / 1000).toFixed(1)} s ` +
        `with model version ${run.modelVersion}, ${run.alertsRaised} alerts raised.`,
    );
  }
  out('');
  await printScoreReport(ds, config.tiers, app.get(ScoreExplainer));
  await deliverAndReport(app, (run as RunView).id);
  // After the emails: an outcome closes its alert.
  const outcomes = await recordDemoOutcomes(ds, app.get(AlertsService));
  if (outcomes) note(`Recorded ${outcomes} alert outcomes with the action taken (their cost is retention spend).`);
  const counts: Record<string, number>[] = await ds.query(`
    SELECT (SELECT count(*) FROM customers)::int AS customers,
           (SELECT count(*) FROM customers WHERE status = 'churned')::int AS churned,
           (SELECT count(*) FROM activity_events)::int AS activity,
           (SELECT count(*) FROM complaints)::int AS complaints,
           (SELECT count(*) FROM spend_events)::int AS spend,
           (SELECT count(*) FROM costs)::int AS costs,
           (SELECT count(*) FROM survey_responses)::int AS surveys,
           (SELECT count(*) FROM alerts WHERE outcome_action IS NOT NULL)::int AS outcomes`);
  const c = counts[0];
  const sample: { external_id: string }[] = await ds.query(`SELECT external_id FROM customers ORDER BY id LIMIT 1`);
  const base = `http://localhost:${config.http.port}`;
  out('');
  out('churnwatch is running.');
  out(`  database     ${config.database.url ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.database.embedded.dataDir}`}`);
  out(
    `  book         ${c.customers} customers (${c.churned} churned), ${c.activity} activity events, ${c.complaints} complaints, ${c.spend} spend events`,
  );
  out(`  economics    ${c.costs} costs, ${c.surveys} NPS / CSAT answers, ${c.outcomes} alert outcomes with an action: ${base}/#/economics`);
  out(`  dashboard    ${base}/  (sign in with the admin key below)`);
  out(`  API docs     ${base}/docs`);
  out(`  readiness    ${base}/health/ready`);
  out(`  admin key    ${key}`);
  out('');
  out('Try:');
  out(`  curl -s -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`);
  out(
    `    -d '[{"externalId":"demo-1","customerId":"${sample[0]?.external_id ?? 'CUSTOMER-ID'}","type":"login","occurredAt":"${new Date().toISOString()}"}]' \\`,
  );
  out(`    ${base}/v1/signals/activity`);
  out(`  curl -s -H 'Authorization: Bearer ${key}' ${base}/v1/customers/${sample[0]?.external_id ?? 'CUSTOMER-ID'}`);
  out(`  curl -s -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{}' ${base}/v1/scoring-runs`);
  out(`  curl -s -H 'Authorization: Bearer ${key}' '${base}/v1/alerts?status=open&limit=5'`);
  out(`  curl -s -H 'Authorization: Bearer ${key}' '${base}/v1/at-risk?tier=critical&sort=valueAtRisk&limit=5'`);
  out('');
  out('Ctrl-C stops the service (and the embedded database).');
}
