/**
 * The page behind an acknowledge link. Mail scanners prefetch GET links, so the GET page
 * never changes state: it shows the alert and a POST form; the POST answers with 'done',
 * 'already' or 'closed'. No scripts, inline styles, one phone-width column.
 */
import { capitalize, percent, utc } from './email/format';
import { confirmForm, escapeHtml, htmlDocument, MUTED_COLOR, paragraph, tierBadge } from './email/html';

export type AckPageState =
  | { kind: 'confirm'; token: string; customerName: string; tier: string; probability: number; raisedAt: Date }
  | { kind: 'done'; customerName: string; acknowledgedAt: Date }
  | { kind: 'already'; customerName: string; acknowledgedAt: Date }
  | { kind: 'closed'; customerName: string }
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'not_found' };

export function renderAckPage(state: AckPageState): string {
  const { title, body } = content(state);
  return htmlDocument(`${title} — churnwatch`, `${h1(title)}\n${body}`);
}

function content(state: AckPageState): { title: string; body: string } {
  switch (state.kind) {
    case 'confirm':
      return { title: 'Acknowledge this alert?', body: confirmBody(state) };
    case 'done':
      return {
        title: 'Alert acknowledged',
        body: text(`The alert for ${state.customerName} was acknowledged at ${utc(state.acknowledgedAt)}. You can close this page.`),
      };
    case 'already':
      return {
        title: 'Already acknowledged',
        body: text(
          `The alert for ${state.customerName} was already acknowledged at ${utc(state.acknowledgedAt)}. Each link works once; nothing more to do.`,
        ),
      };
    case 'closed':
      return {
        title: 'Alert already closed',
        body: text(`The alert for ${state.customerName} is already closed; there is nothing to acknowledge.`),
      };
    case 'invalid':
      return {
        title: 'This link is not valid',
        body: text('The link may have been changed or cut short. Copy the whole link from the email, or acknowledge from the dashboard.'),
      };
    case 'expired':
      return { title: 'This link has expired', body: text('This link has expired; acknowledge from the dashboard.') };
    case 'not_found':
      return {
        title: 'Alert not found',
        body: text('This alert no longer exists. Check the dashboard for the customer’s current alerts.'),
      };
    default:
      return unreachable(state);
  }
}

function unreachable(state: never): never {
  throw new Error(`unknown ack page state ${JSON.stringify(state)}`);
}

const h1 = (title: string) => `<h1 style="margin:8px 0 16px;font-size:24px;line-height:1.3;">${escapeHtml(title)}</h1>`;
const text = (plain: string) => paragraph(escapeHtml(plain));

/** The only way to acknowledge: a deliberate POST, which a link prefetcher does not send. */
function confirmBody(state: Extract<AckPageState, { kind: 'confirm' }>): string {
  return [
    paragraph(tierBadge(state.tier), 'margin:0 0 8px;'),
    `<h2 style="margin:0 0 4px;font-size:20px;line-height:1.3;">${escapeHtml(state.customerName)}</h2>`,
    paragraph(
      `<strong style="font-size:22px;">${escapeHtml(percent(state.probability))}</strong> churn risk (higher means more likely to churn)`,
    ),
    paragraph(escapeHtml(`${capitalize(state.tier)} alert raised ${utc(state.raisedAt)}.`), `color:${MUTED_COLOR};`),
    paragraph(escapeHtml('Acknowledging records that you are handling this customer; an acknowledged alert is not escalated.')),
    confirmForm(`/ack/${encodeURIComponent(state.token)}`, 'Acknowledge'),
  ].join('\n');
}
