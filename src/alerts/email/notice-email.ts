import type { RenderedEmail } from './alert-email.types';
import { escapeHtml, heading, htmlDocument, paragraph } from './html';

/**
 * An operator's notice (the alert-storm email, the budget email): plain lines as the text
 * part, the same lines as paragraphs under the subject as the HTML part (blank lines only
 * separate paragraphs in the text).
 */
export function renderNoticeEmail(subject: string, lines: readonly string[]): RenderedEmail {
  const html = htmlDocument(
    subject,
    heading(subject) +
      lines
        .filter((l) => l !== '')
        .map((l) => paragraph(escapeHtml(l)))
        .join(''),
  );
  return { subject, text: `${lines.join('\n')}\n`, html };
}
