/**
 * HTML building blocks shared by the alert emails and the acknowledge page. Mail clients
 * often drop <style> blocks and block remote content, so everything is inline-styled, one
 * column, no images or scripts; every interpolated string goes through escapeHtml.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attribute values alike (quotes are escaped too). */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** An escaped href; anything but http(s) (javascript:, data:, garbage) becomes "#" so a bad URL cannot run code. */
export function safeHref(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return escapeHtml(parsed.toString());
  } catch {
    // not a URL at all
  }
  return '#';
}

export const FONT_STACK = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const TEXT_COLOR = '#1a1a1a';
export const MUTED_COLOR = '#555555';

const TIER_COLORS: Record<string, string> = { critical: '#b00020', high: '#b34700', watch: '#7a5c00' };

/** Background colour of a tier's badge (white text on it keeps ≥ 4.5:1 contrast). */
export function tierColor(tier: string): string {
  return TIER_COLORS[tier.toLowerCase()] ?? '#444444';
}

export function tierBadge(tier: string): string {
  const style = `display:inline-block;padding:2px 10px;border-radius:4px;background:${tierColor(tier)};color:#ffffff;font-size:14px;font-weight:bold;letter-spacing:0.5px;`;
  return `<span style="${style}">${escapeHtml(tier.toUpperCase())}</span>`;
}

/** Tap targets ≥ 44px tall (line-height 48px) so the link is easy to hit on a phone. */
export function buttonLink(href: string, label: string, kind: 'primary' | 'secondary' = 'primary'): string {
  const colors =
    kind === 'primary'
      ? 'background:#0b57d0;color:#ffffff;border:1px solid #0b57d0;'
      : 'background:#ffffff;color:#0b57d0;border:1px solid #0b57d0;';
  const size = kind === 'primary' ? 'font-size:18px;padding:0 28px;' : 'font-size:16px;padding:0 20px;';
  const style = `display:inline-block;min-height:48px;line-height:48px;${size}${colors}border-radius:6px;font-weight:bold;text-decoration:none;margin:4px 8px 4px 0;`;
  return `<a href="${safeHref(href)}" style="${style}">${escapeHtml(label)}</a>`;
}

export function heading(text: string, size = 18): string {
  return `<h2 style="margin:24px 0 8px;font-size:${Math.max(size, 14)}px;line-height:1.3;">${escapeHtml(text)}</h2>`;
}

/** Declarations of `extra` replace those of `base` with the same property (one of each in the output). */
export function mergeStyles(base: string, extra: string): string {
  const props = new Map<string, string>();
  for (const decl of `${base};${extra}`.split(';')) {
    const colon = decl.indexOf(':');
    if (colon > 0) props.set(decl.slice(0, colon).trim(), decl.slice(colon + 1).trim());
  }
  return [...props].map(([k, v]) => `${k}:${v};`).join('');
}

export function paragraph(innerHtml: string, extraStyle = ''): string {
  return `<p style="${mergeStyles('margin:0 0 12px;font-size:16px;', extraStyle)}">${innerHtml}</p>`;
}

/** A bulleted (ul) or numbered (ol) list of already-escaped items. */
export function list(itemsHtml: string[], ordered = false): string {
  const tag = ordered ? 'ol' : 'ul';
  const items = itemsHtml.map((i) => `<li style="margin:0 0 8px;font-size:16px;">${i}</li>`).join('');
  return `<${tag} style="margin:0 0 12px;padding-left:24px;">${items}</${tag}>`;
}

/**
 * A complete document: viewport for phones, one centred column of max 600px, no external
 * resources. no-referrer because acknowledge pages carry their token in the URL.
 */
export function htmlDocument(title: string, bodyHtml: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background:#f2f3f5;">`,
    `<div style="max-width:600px;margin:0 auto;padding:16px;background:#ffffff;font-family:${FONT_STACK};font-size:16px;line-height:1.5;color:${TEXT_COLOR};">`,
    bodyHtml,
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');
}

/**
 * The one button of a page behind an emailed link (acknowledge, unsubscribe): a deliberate
 * POST to `action`, which a mail scanner prefetching the link does not send.
 */
export function confirmForm(action: string, label: string): string {
  const button =
    'display:block;width:100%;min-height:48px;padding:12px 16px;border:0;border-radius:6px;background:#0b57d0;color:#ffffff;font-size:18px;font-weight:bold;cursor:pointer;';
  return [
    `<form method="post" action="${escapeHtml(action)}" style="margin:16px 0 0;">`,
    `<button type="submit" style="${button}">${escapeHtml(label)}</button>`,
    '</form>',
  ].join('\n');
}
