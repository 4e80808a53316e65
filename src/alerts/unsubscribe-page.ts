/**
 * The page behind a digest's unsubscribe link. As with acknowledge links, GET only asks
 * (mail scanners prefetch links); the POST stops the digest. Mail clients' own one-click
 * unsubscribe (RFC 8058) POSTs straight to the same address.
 */
import { confirmForm, escapeHtml, htmlDocument, MUTED_COLOR, paragraph } from './email/html';

export type UnsubscribePageState =
  { kind: 'confirm'; token: string; recipient: string } | { kind: 'done'; recipient: string } | { kind: 'invalid' } | { kind: 'expired' };

const KEPT = 'Your alerts stay on the dashboard, and critical ones are still emailed at once.';

export function renderUnsubscribePage(state: UnsubscribePageState): string {
  const { title, body } = content(state);
  return htmlDocument(
    `${title} — churnwatch`,
    `<h1 style="margin:8px 0 16px;font-size:24px;line-height:1.3;">${escapeHtml(title)}</h1>\n${body}`,
  );
}

function content(state: UnsubscribePageState): { title: string; body: string } {
  switch (state.kind) {
    case 'confirm':
      return { title: 'Stop your daily digest?', body: confirmBody(state) };
    case 'done':
      return {
        title: 'Daily digest stopped',
        body: [
          text(`${state.recipient} gets no more daily churn-risk digests. ${KEPT}`),
          paragraph(escapeHtml('To have the digest again, ask an administrator to turn it back on.'), `color:${MUTED_COLOR};`),
        ].join('\n'),
      };
    case 'invalid':
      return {
        title: 'This link is not valid',
        body: text('The link may have been changed or cut short. Copy the whole link from the email.'),
      };
    case 'expired':
      return { title: 'This link has expired', body: text('Use the link in a more recent digest.') };
    default:
      return unreachable(state);
  }
}

function unreachable(state: never): never {
  throw new Error(`unknown unsubscribe page state ${JSON.stringify(state)}`);
}

const text = (plain: string) => paragraph(escapeHtml(plain));

function confirmBody(state: Extract<UnsubscribePageState, { kind: 'confirm' }>): string {
  return [
    text(`The daily churn-risk digest for ${state.recipient} stops. ${KEPT}`),
    confirmForm(`/unsubscribe/${encodeURIComponent(state.token)}`, 'Stop the digest'),
  ].join('\n');
}
