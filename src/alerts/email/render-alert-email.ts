/**
 * The immediate alert email (critical tiers), and its escalation re-sends to the support
 * lead and further addresses. Pure: the alerts service supplies the facts and signed links.
 */
import type { EmailAlert, Escalation, RenderedEmail } from './alert-email.types';
import { actionTerms, capitalize, clip, hours, money, oneLine, percent, pointsChange, TEXT_WIDTH, utc, wrap } from './format';
import { buttonLink, escapeHtml, heading, htmlDocument, list, MUTED_COLOR, paragraph, safeHref, tierBadge } from './html';

export const SUBJECT_TAG = '[churnwatch]';
const NAME_IN_SUBJECT = 60;
/** Says what the percentage means: a manager must not read 82 % as a health score. */
export const RISK_NOTE = 'Churn risk is the probability that the customer leaves; higher means more likely to churn.';
const ACK_NOTE = 'Opens a confirmation page; nothing changes until you confirm there.';

export function renderAlertEmail(alert: EmailAlert, escalation: Escalation | null): RenderedEmail {
  return { subject: alertSubject(alert, escalation), text: alertText(alert, escalation), html: alertHtml(alert, escalation) };
}

/** "[churnwatch] ESCALATION 1: CRITICAL: Acme Ltd — 82 % churn risk (+14 pts)". */
export function alertSubject(alert: EmailAlert, escalation: Escalation | null): string {
  const prefix = escalation ? `ESCALATION ${escalation.step}: ` : '';
  const name = clip(oneLine(alert.customer.name), NAME_IN_SUBJECT);
  const risk = `${percent(alert.probability)} churn risk (${pointsChange(alert.probability, alert.previousProbability)})`;
  return `${SUBJECT_TAG} ${prefix}${oneLine(alert.tier).toUpperCase()}: ${name} — ${risk}`;
}

/** "Not acknowledged for 4 hours — escalation 1": the first thing a support lead reads. */
export function escalationHeadline(escalation: Escalation): string {
  return `Not acknowledged for ${hours(escalation.hoursUnacknowledged)} — escalation ${escalation.step}`;
}

export function managerLabel(manager: EmailAlert['accountManager']): string {
  const email = oneLine(manager.email);
  return manager.name ? `${oneLine(manager.name)} <${email}>` : email;
}

function escalationDetail(alert: EmailAlert, escalation: Escalation): string {
  return `The account manager, ${managerLabel(alert.accountManager)}, has not acknowledged this alert. Escalated ${utc(escalation.raisedAt)}.`;
}

/** "+14 pts since the previous score of 68 %" or "first score". */
export function riskChange(alert: EmailAlert): string {
  if (alert.previousProbability === null) return 'first score';
  const change = pointsChange(alert.probability, alert.previousProbability);
  return `${change} since the previous score of ${percent(alert.previousProbability)}`;
}

/** "82 % (+14 pts since the previous score of 68 %)" or "82 % (first score)". */
export function riskDetail(alert: EmailAlert): string {
  return `${percent(alert.probability)} (${riskChange(alert)})`;
}

function customerTitle(alert: EmailAlert): string {
  return `${oneLine(alert.customer.name)} (${oneLine(alert.customer.externalId)})`;
}

const NO_CHANGES_FIRST = 'This is the first score for this customer; there is nothing to compare yet.';
const NO_CHANGES = 'No single factor moved the risk noticeably since the previous score.';
const NO_ACTIONS = 'No playbook action fits this customer; see the customer page.';
const noChanges = (alert: EmailAlert) => (alert.previousProbability === null ? NO_CHANGES_FIRST : NO_CHANGES);

// ---- plain text -------------------------------------------------------------------------

function alertText(alert: EmailAlert, escalation: Escalation | null): string {
  const lines: string[] = [];
  if (escalation) lines.push(escalationHeadline(escalation), ...wrap(escalationDetail(alert, escalation)), '');
  lines.push(...wrap(`${customerTitle(alert)} — ${oneLine(alert.tier).toUpperCase()} churn risk`));
  if (alert.customer.segment) lines.push(`Segment:       ${oneLine(alert.customer.segment)}`);
  lines.push(
    '',
    ...wrap(riskDetail(alert), TEXT_WIDTH, 'Churn risk:    '),
    ...wrap(RISK_NOTE, TEXT_WIDTH, '               '),
    `Value at risk: ${money(alert.valueAtRisk, alert.currency)}`,
    `Tier:          ${oneLine(alert.tier)}`,
    `Raised:        ${utc(alert.raisedAt)}`,
    '',
    'Acknowledge (opens a confirmation page):',
    oneLine(alert.ackUrl),
    '',
    ...textSections(alert),
    'Customer page:',
    oneLine(alert.customerUrl),
    '',
    '-- ',
    ...wrap(`churnwatch alert #${alert.alertId} for ${managerLabel(alert.accountManager)}`),
  );
  return `${lines.join('\n')}\n`;
}

function textSections(alert: EmailAlert): string[] {
  const lines: string[] = ['Why the risk is high:'];
  lines.push(
    ...(alert.drivers.length
      ? alert.drivers.flatMap((d) => wrap(capitalize(d.text), TEXT_WIDTH, '- '))
      : ['- No single driver stands out.']),
    '',
  );
  lines.push('What changed since the previous score:');
  lines.push(
    ...(alert.changes.length ? alert.changes.flatMap((c) => wrap(capitalize(c.text), TEXT_WIDTH, '- ')) : wrap(noChanges(alert))),
    '',
  );
  lines.push('Suggested actions, best first:');
  lines.push(...(alert.actions.length ? alert.actions.flatMap((a, i) => textAction(a, i, alert.currency)) : wrap(NO_ACTIONS)), '');
  return lines;
}

function textAction(action: EmailAlert['actions'][number], index: number, currency: string): string[] {
  const marker = `${index + 1}. `;
  const indent = ' '.repeat(marker.length);
  return [...wrap(capitalize(action.text), TEXT_WIDTH, marker), ...wrap(capitalize(actionTerms(action, currency)), TEXT_WIDTH, indent)];
}

// ---- html -------------------------------------------------------------------------------

function alertHtml(alert: EmailAlert, escalation: Escalation | null): string {
  const body = [
    escalation ? escalationBanner(alert, escalation) : '',
    summaryHtml(alert),
    paragraph(buttonLink(alert.ackUrl, 'Acknowledge'), 'margin:16px 0 4px;'),
    paragraph(escapeHtml(ACK_NOTE), `font-size:14px;color:${MUTED_COLOR};`),
    detailsHtml(alert),
    paragraph(buttonLink(alert.customerUrl, 'Open the customer page', 'secondary'), 'margin:20px 0 12px;'),
    footerHtml(alert),
  ].join('\n');
  return htmlDocument(alertSubject(alert, escalation), body);
}

function escalationBanner(alert: EmailAlert, escalation: Escalation): string {
  const style = 'margin:0 0 16px;padding:12px 16px;border:2px solid #b00020;border-radius:6px;background:#fdecee;';
  const headline = `<strong style="font-size:18px;color:#b00020;">${escapeHtml(escalationHeadline(escalation))}</strong>`;
  const detail = `<span style="font-size:16px;">${escapeHtml(escalationDetail(alert, escalation))}</span>`;
  return `<div style="${style}">${headline}<br>${detail}</div>`;
}

/** The facts a manager needs before deciding to act: who, how risky, how much money. */
export function summaryHtml(alert: EmailAlert): string {
  const segment = alert.customer.segment ? ` · ${escapeHtml(oneLine(alert.customer.segment))} segment` : '';
  return [
    paragraph(tierBadge(alert.tier), 'margin:0 0 8px;'),
    `<h1 style="margin:0 0 4px;font-size:24px;line-height:1.3;">${escapeHtml(oneLine(alert.customer.name))}</h1>`,
    paragraph(`${escapeHtml(oneLine(alert.customer.externalId))}${segment}`, `color:${MUTED_COLOR};`),
    paragraph(
      `<strong style="font-size:28px;">${escapeHtml(percent(alert.probability))}</strong> <span style="font-size:18px;">churn risk</span>`,
      'margin:0 0 4px;',
    ),
    paragraph(escapeHtml(capitalize(riskChange(alert))), 'margin:0 0 4px;'),
    paragraph(escapeHtml(RISK_NOTE), `font-size:14px;color:${MUTED_COLOR};`),
    paragraph(`<strong style="font-size:20px;">${escapeHtml(money(alert.valueAtRisk, alert.currency))}</strong> at risk`),
  ].join('\n');
}

function detailsHtml(alert: EmailAlert): string {
  const drivers = alert.drivers.length
    ? list(alert.drivers.map((d) => escapeHtml(capitalize(d.text))))
    : paragraph('No single driver stands out.');
  const changes = alert.changes.length
    ? list(alert.changes.map((c) => escapeHtml(capitalize(c.text))))
    : paragraph(escapeHtml(noChanges(alert)));
  const actions = alert.actions.length
    ? list(
        alert.actions.map((a) => actionHtml(a, alert.currency)),
        true,
      )
    : paragraph(escapeHtml(NO_ACTIONS));
  return [
    heading('Why the risk is high'),
    drivers,
    heading('What changed since the previous score'),
    changes,
    heading('Suggested actions, best first'),
    actions,
  ].join('\n');
}

export function actionHtml(action: EmailAlert['actions'][number], currency: string): string {
  const terms = `<br><span style="font-size:14px;color:${MUTED_COLOR};">${escapeHtml(capitalize(actionTerms(action, currency)))}</span>`;
  return `<strong>${escapeHtml(capitalize(action.text))}</strong>${terms}`;
}

function footerHtml(alert: EmailAlert): string {
  const text = `Raised ${utc(alert.raisedAt)} · churnwatch alert #${alert.alertId} for ${managerLabel(alert.accountManager)}`;
  const link = `<br>If the buttons do not work, copy this link: <a href="${safeHref(alert.ackUrl)}" style="color:#0b57d0;word-break:break-all;">${escapeHtml(alert.ackUrl)}</a>`;
  return paragraph(
    `${escapeHtml(text)}${link}`,
    `margin:24px 0 12px;padding-top:12px;border-top:1px solid #dddddd;font-size:14px;color:${MUTED_COLOR};`,
  );
}
