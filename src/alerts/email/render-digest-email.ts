/**
 * One daily digest per account manager: the day's non-immediate alerts (and immediate ones
 * over the per-recipient cap), in the order given (the caller sorts by value at risk).
 */
import type { EmailAlert, RenderedEmail } from './alert-email.types';
import { actionTerms, amount, capitalize, money, oneLine, percent, plural, pointsChange, TEXT_WIDTH, wrap } from './format';
import { actionHtml, managerLabel, RISK_NOTE, SUBJECT_TAG } from './render-alert-email';
import { buttonLink, escapeHtml, htmlDocument, list, MUTED_COLOR, paragraph, tierBadge, tierColor } from './html';

type Manager = { email: string; name: string | null };

/** Top drivers per customer: a digest block stays short; the full list is on the customer page. */
const DRIVERS_PER_BLOCK = 2;
/** Past this many currencies the subject omits the totals (the body still lists them). */
const CURRENCIES_IN_SUBJECT = 3;

/** `unsubscribeUrl`: the one-click link that stops this manager's digests (also in the List-Unsubscribe header). */
export function renderDigestEmail(
  manager: Manager,
  alerts: EmailAlert[],
  date: string,
  unsubscribeUrl: string | null = null,
): RenderedEmail {
  const summary = summarize(alerts);
  return {
    subject: digestSubject(summary, date),
    text: digestText(manager, alerts, summary, date, unsubscribeUrl),
    html: digestHtml(manager, alerts, summary, date, unsubscribeUrl),
    ...(unsubscribeUrl
      ? { headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
      : {}),
  };
}

interface DigestSummary {
  customers: number;
  /** Per currency, alphabetical: value at risk of each customer counted once. */
  totals: Array<{ currency: string; total: number }>;
  /** Alerts per tier, in order of first appearance. */
  tiers: Array<{ tier: string; count: number }>;
}

/**
 * Counts customers, not alerts: a customer that moved tiers within the day can have two
 * alerts, and its value at risk must not be added twice (the first, largest, one counts).
 */
export function summarize(alerts: EmailAlert[]): DigestSummary {
  const seen = new Set<string>();
  const totals = new Map<string, number>();
  const tiers = new Map<string, number>();
  for (const a of alerts) {
    tiers.set(a.tier, (tiers.get(a.tier) ?? 0) + 1);
    if (seen.has(a.customer.externalId)) continue;
    seen.add(a.customer.externalId);
    const currency = oneLine(a.currency);
    totals.set(currency, (totals.get(currency) ?? 0) + amount(a.valueAtRisk));
  }
  return {
    customers: seen.size,
    totals: [...totals].map(([currency, total]) => ({ currency, total })).sort((x, y) => x.currency.localeCompare(y.currency)),
    tiers: [...tiers].map(([tier, count]) => ({ tier, count })),
  };
}

/** "EUR 1,200 + USD 84,200". */
function totalsText(summary: DigestSummary): string {
  return summary.totals.map((t) => money(t.total, t.currency)).join(' + ');
}

function customersAtRisk(summary: DigestSummary): string {
  return summary.customers === 0 ? 'no customers at risk' : `${plural(summary.customers, 'customer', 'customers')} at risk`;
}

/** "[churnwatch] Daily digest 2026-11-23: 12 customers at risk (USD 84,200 at risk)". */
function digestSubject(summary: DigestSummary, date: string): string {
  const head = `${SUBJECT_TAG} Daily digest ${oneLine(date)}: ${customersAtRisk(summary)}`;
  const n = summary.totals.length;
  return n === 0 || n > CURRENCIES_IN_SUBJECT ? head : `${head} (${totalsText(summary)} at risk)`;
}

function greeting(manager: Manager): string {
  return manager.name ? `Hello ${oneLine(manager.name)},` : 'Hello,';
}

/** "12 customers at risk, USD 84,200 in total. By tier: 3 critical, 9 high." */
function overview(summary: DigestSummary): string {
  if (summary.customers === 0) return 'No customers at risk today.';
  const byTier = summary.tiers.map((t) => `${t.count} ${oneLine(t.tier)}`).join(', ');
  return `${capitalize(customersAtRisk(summary))}, ${totalsText(summary)} in total. By tier: ${byTier}.`;
}

/** "64 % churn risk (+14 pts) · USD 10,800 at risk". */
function riskLine(a: EmailAlert): string {
  return `${percent(a.probability)} churn risk (${pointsChange(a.probability, a.previousProbability)}) · ${money(a.valueAtRisk, a.currency)} at risk`;
}

const topDrivers = (a: EmailAlert) => a.drivers.slice(0, DRIVERS_PER_BLOCK);

// ---- plain text -------------------------------------------------------------------------

function digestText(manager: Manager, alerts: EmailAlert[], summary: DigestSummary, date: string, unsubscribeUrl: string | null): string {
  const lines = [greeting(manager), '', ...wrap(`Churn-risk digest for ${oneLine(date)}. ${overview(summary)}`), ...wrap(RISK_NOTE), ''];
  alerts.forEach((a, i) => lines.push(...textBlock(a, i), ''));
  lines.push('-- ', ...wrap(`churnwatch daily digest for ${managerLabel(manager)}`));
  if (unsubscribeUrl)
    lines.push('Stop these digests (alerts stay on the dashboard; critical ones are still emailed):', oneLine(unsubscribeUrl));
  return `${lines.join('\n')}\n`;
}

function textBlock(a: EmailAlert, index: number): string[] {
  const marker = `${index + 1}. `;
  const indent = ' '.repeat(marker.length);
  const lines = [
    ...wrap(`${oneLine(a.customer.name)} (${oneLine(a.customer.externalId)}) — ${oneLine(a.tier).toUpperCase()}`, TEXT_WIDTH, marker),
    ...wrap(riskLine(a), TEXT_WIDTH, indent),
    ...topDrivers(a).flatMap((d) => wrap(capitalize(d.text), TEXT_WIDTH, `${indent}- `)),
  ];
  const change = a.changes[0];
  if (change) lines.push(...wrap(`Changed: ${capitalize(change.text)}`, TEXT_WIDTH, indent));
  const action = a.actions[0];
  if (action) lines.push(...wrap(`Suggested: ${capitalize(action.text)} (${actionTerms(action, a.currency)})`, TEXT_WIDTH, indent));
  lines.push(
    `${indent}Acknowledge (opens a confirmation page):`,
    `${indent}${oneLine(a.ackUrl)}`,
    `${indent}Customer page:`,
    `${indent}${oneLine(a.customerUrl)}`,
  );
  return lines;
}

// ---- html -------------------------------------------------------------------------------

function digestHtml(manager: Manager, alerts: EmailAlert[], summary: DigestSummary, date: string, unsubscribeUrl: string | null): string {
  const body = [
    `<h1 style="margin:0 0 8px;font-size:24px;line-height:1.3;">${escapeHtml(`Daily digest ${oneLine(date)}`)}</h1>`,
    paragraph(escapeHtml(greeting(manager))),
    paragraph(`<strong>${escapeHtml(overview(summary))}</strong>`),
    paragraph(escapeHtml(RISK_NOTE), `font-size:14px;color:${MUTED_COLOR};`),
    ...alerts.map(htmlBlock),
    paragraph(
      escapeHtml(`churnwatch daily digest for ${managerLabel(manager)}`),
      `margin:24px 0 12px;font-size:14px;color:${MUTED_COLOR};`,
    ),
    unsubscribeUrl
      ? paragraph(
          `<a href="${escapeHtml(unsubscribeUrl)}" style="color:${MUTED_COLOR};">${escapeHtml('Stop these digests')}</a>` +
            escapeHtml(' (alerts stay on the dashboard; critical ones are still emailed)'),
          `margin:0 0 12px;font-size:14px;color:${MUTED_COLOR};`,
        )
      : '',
  ].join('\n');
  return htmlDocument(digestSubject(summary, date), body);
}

function htmlBlock(a: EmailAlert): string {
  const style = `margin:0 0 16px;padding:12px 16px;border:1px solid #dddddd;border-left:6px solid ${tierColor(a.tier)};border-radius:6px;`;
  const title = `<h2 style="margin:0 0 4px;font-size:18px;line-height:1.3;">${escapeHtml(oneLine(a.customer.name))}</h2>`;
  const parts = [
    paragraph(tierBadge(a.tier), 'margin:0 0 6px;'),
    title,
    paragraph(escapeHtml(oneLine(a.customer.externalId)), `margin:0 0 6px;font-size:14px;color:${MUTED_COLOR};`),
    paragraph(`<strong>${escapeHtml(riskLine(a))}</strong>`, 'margin:0 0 8px;'),
    topDrivers(a).length ? list(topDrivers(a).map((d) => escapeHtml(capitalize(d.text)))) : '',
    a.changes[0] ? paragraph(`Changed: ${escapeHtml(capitalize(a.changes[0].text))}`) : '',
    a.actions[0] ? paragraph(`Suggested: ${actionHtml(a.actions[0], a.currency)}`) : '',
    paragraph(`${buttonLink(a.ackUrl, 'Acknowledge')}${buttonLink(a.customerUrl, 'Customer page', 'secondary')}`, 'margin:8px 0 0;'),
  ];
  return `<div style="${style}">${parts.filter(Boolean).join('\n')}</div>`;
}
