import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DigestService } from '../alerts/delivery/digest.service';
import { MailTransport } from '../alerts/delivery/mail-transport';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Sends the digests now (the demo cannot wait for the scheduled hour), waits until the
 * outbox has delivered everything, and prints the alerts and where the emails went.
 */
export async function deliverAndReport(ctx: INestApplicationContext, runId: number, timeoutMs = 120_000): Promise<void> {
  const ds = ctx.get(DataSource);
  await ctx.get(DigestService).build(`demo:${new Date().toISOString()}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ waiting }] = await ds.query(
      `SELECT count(*)::int AS waiting FROM alert_deliveries WHERE status IN ('pending', 'queued', 'sending')`,
    );
    if (waiting === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const byTier: Array<{ tier: string; n: number; held: number }> = await ds.query(
    `SELECT tier, count(*)::int AS n, count(*) FILTER (WHERE held_reason IS NOT NULL)::int AS held
       FROM alerts WHERE status <> 'closed' GROUP BY tier ORDER BY max(probability) DESC`,
  );
  const raised: Array<{ n: number }> = await ds.query(`SELECT alerts_raised AS n FROM scoring_runs WHERE id = $1`, [runId]);
  const emails: Array<{ kind: string; status: string; n: number }> = await ds.query(
    `SELECT kind, status, count(*)::int AS n FROM alert_deliveries GROUP BY kind, status ORDER BY kind, status`,
  );
  out('');
  out(`Alerts: ${raised[0]?.n ?? 0} raised by the latest run; open now, by tier:`);
  for (const t of byTier) out(`  ${t.tier.padEnd(10)} ${String(t.n).padStart(6)}${t.held ? `  (${t.held} held: stale signals)` : ''}`);
  if (byTier.length === 0) out('  none');
  out('Emails (kind, status, count):');
  for (const e of emails) out(`  ${e.kind.padEnd(11)} ${e.status.padEnd(9)} ${String(e.n).padStart(6)}`);
  if (emails.length === 0) out('  none');
  const dir = ctx.get(MailTransport).outboxDir;
  out(dir ? `Alert emails are .eml files in ${dir} (open one in a mail client).` : 'Alert emails went to the SMTP server in SMTP_URL.');
}
