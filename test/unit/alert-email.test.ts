import { describe, expect, it } from 'vitest';
import type { EmailAlert } from '../../src/alerts/email/alert-email.types';
import { escapeHtml, mergeStyles } from '../../src/alerts/email/html';
import { renderAlertEmail } from '../../src/alerts/email/render-alert-email';
import { renderDigestEmail } from '../../src/alerts/email/render-digest-email';
import { renderAckPage } from '../../src/alerts/ack-page';

const ACK_URL = 'https://churnwatch.example.com/ack/MTIzLjE3OTU0MDAwMDA.c2lnbmF0dXJl';
const CUSTOMER_URL = 'https://churnwatch.example.com/customers/ACME-001';

function alert(overrides: Partial<EmailAlert> = {}): EmailAlert {
  return {
    alertId: 123,
    customer: { externalId: 'ACME-001', name: 'Acme Ltd', segment: 'enterprise' },
    accountManager: { email: 'jane@example.com', name: 'Jane Doe' },
    tier: 'critical',
    probability: 0.8213,
    previousProbability: 0.6788,
    valueAtRisk: '10800.0000',
    currency: 'USD',
    drivers: [
      { key: 'activity_ratio', text: 'activity down 64 % vs the previous 30 days (120 vs 340)', contribution: 1.2 },
      { key: 'complaints_open', text: '2 complaints open, the oldest for 12 days', contribution: 0.8 },
      { key: 'days_to_renewal', text: 'renewal in 14 days', contribution: 0.4 },
    ],
    changes: [
      {
        key: 'activity_ratio',
        text: 'Activity raised the risk by 9 points since the previous score (now: activity down 64 %)',
        probabilityEffect: 0.09,
      },
    ],
    actions: [
      { key: 'exec_call', text: 'Executive call with the customer', cost: 500, expectedSaving: 3400 },
      { key: 'health_check', text: 'Run an account health check', cost: 0, expectedSaving: 1250.4 },
    ],
    raisedAt: new Date('2026-11-23T14:05:30Z'),
    ackUrl: ACK_URL,
    customerUrl: CUSTOMER_URL,
    ...overrides,
  };
}

/** The plain-text part wraps at 78 characters; phrases are checked across line breaks. */
const flat = (part: string) => part.replace(/\s+/g, ' ');

/** Every font-size in the html, in px. */
const fontSizes = (html: string) => [...html.matchAll(/font-size:\s*(\d+)px/g)].map((m) => Number(m[1]));

describe('escapeHtml', () => {
  it('escapes markup and both quote kinds', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
  });
});

describe('mergeStyles', () => {
  it('lets later declarations replace earlier ones, once each', () => {
    expect(mergeStyles('margin:0 0 12px;font-size:16px;', 'font-size:14px;color:#555')).toBe('margin:0 0 12px;font-size:14px;color:#555;');
  });
});

describe('renderAlertEmail', () => {
  it('has a subject with tier, customer, probability and its change', () => {
    expect(renderAlertEmail(alert(), null).subject).toBe('[churnwatch] CRITICAL: Acme Ltd — 82 % churn risk (+14 pts)');
    expect(renderAlertEmail(alert({ previousProbability: null }), null).subject).toBe(
      '[churnwatch] CRITICAL: Acme Ltd — 82 % churn risk (first score)',
    );
    expect(renderAlertEmail(alert({ previousProbability: 0.85 }), null).subject).toContain('(-3 pts)');
  });

  it('puts the same facts in the text and the html part', () => {
    const { text, html } = renderAlertEmail(alert(), null);
    for (const part of [flat(text), html]) {
      expect(part).toContain('Acme Ltd');
      expect(part).toContain('ACME-001');
      expect(part).toContain('82 %');
      expect(part).toContain('+14 pts since the previous score of 68 %');
      expect(part).toContain('USD 10,800');
      expect(part).toContain('Activity down 64 % vs the previous 30 days (120 vs 340)');
      expect(part).toContain('2 complaints open, the oldest for 12 days');
      expect(part).toContain('Activity raised the risk by 9 points');
      expect(part).toContain('Executive call with the customer');
      expect(part).toContain('Cost USD 500, expected saving USD 3,400');
      expect(part).toContain('Cost USD 0, expected saving USD 1,250');
      expect(part).toContain('higher means more likely to churn');
      expect(part).toContain(ACK_URL);
      expect(part).toContain(CUSTOMER_URL);
      expect(part).toContain('2026-11-23 14:05 UTC');
    }
    expect(text.indexOf('Executive call')).toBeLessThan(text.indexOf('Run an account health check'));
  });

  it('puts the acknowledge URL on a line of its own in the text part and keeps lines short', () => {
    const { text } = renderAlertEmail(alert(), null);
    const lines = text.split('\n');
    expect(lines).toContain(ACK_URL);
    expect(lines).toContain(CUSTOMER_URL);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('renders a phone-friendly html part: one 600px column, a tall button, no scripts or images', () => {
    const { html } = renderAlertEmail(alert(), null);
    expect(html).toContain('max-width:600px');
    expect(html).toContain('name="viewport"');
    expect(html).toMatch(new RegExp(`<a href="${ACK_URL}" style="[^"]*min-height:48px[^"]*">Acknowledge</a>`));
    expect(html).not.toMatch(/<script|<img|<link|src=|<style/i);
    expect(Math.min(...fontSizes(html))).toBeGreaterThanOrEqual(14);
    for (const [, style] of html.matchAll(/style="([^"]*)"/g)) {
      const props = (style as string)
        .split(';')
        .filter(Boolean)
        .map((d) => d.split(':')[0]);
      expect(new Set(props).size).toBe(props.length);
    }
  });

  it('says "first score" and that nothing can be compared yet without a previous score', () => {
    const { text, html } = renderAlertEmail(alert({ previousProbability: null, changes: [] }), null);
    expect(text).toContain('82 % (first score)');
    expect(text).toContain('first score for this customer');
    expect(html).toContain('First score');
  });

  it('escapes customer names, ids, texts and URLs in the html part', () => {
    const nasty = alert({
      customer: { externalId: 'X&Y"1', name: `<script>alert("x")</script> Smith & Sons 'Ltd'`, segment: '<b>mid</b>' },
      drivers: [{ key: 'k', text: 'a <i>driver</i> & more', contribution: 1 }],
      actions: [{ key: 'a', text: 'call <now>', cost: 1, expectedSaving: 2 }],
      ackUrl: 'https://example.com/ack/x?a=1&b="2"',
    });
    const { html, text, subject } = renderAlertEmail(nasty, null);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('<b>mid');
    expect(html).not.toContain('<now>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Smith &amp; Sons &#39;Ltd&#39;');
    expect(html).toContain('X&amp;Y&quot;1');
    expect(html).toContain('A &lt;i&gt;driver&lt;/i&gt; &amp; more');
    expect(html).toContain('href="https://example.com/ack/x?a=1&amp;b=%222%22"');
    // The text part and the subject are not html: the name appears as written.
    expect(text).toContain(`<script>alert("x")</script> Smith & Sons 'Ltd'`);
    expect(subject).toContain('Smith & Sons');
  });

  it('never links a non-http URL', () => {
    const { html } = renderAlertEmail(alert({ ackUrl: 'javascript:alert(1)' }), null);
    expect(html).not.toContain('href="javascript:');
  });

  it('keeps line breaks in a name out of the subject', () => {
    expect(renderAlertEmail(alert({ customer: { externalId: 'A', name: 'Acme\r\nBcc: x@y', segment: null } }), null).subject).not.toMatch(
      /[\r\n]/,
    );
  });

  it('announces an escalation at the top of both parts and in the subject', () => {
    const escalation = { step: 1, raisedAt: new Date('2026-11-23T18:05:00Z'), hoursUnacknowledged: 4 };
    const { subject, text, html } = renderAlertEmail(alert(), escalation);
    expect(subject).toBe('[churnwatch] ESCALATION 1: CRITICAL: Acme Ltd — 82 % churn risk (+14 pts)');
    expect(text.split('\n')[0]).toBe('Not acknowledged for 4 hours — escalation 1');
    expect(text).toContain('Jane Doe <jane@example.com>');
    const body = html.slice(html.indexOf('<body'));
    expect(body).toContain('Not acknowledged for 4 hours — escalation 1');
    expect(body.indexOf('Not acknowledged')).toBeLessThan(body.indexOf('Acme Ltd'));
    expect(renderAlertEmail(alert(), { step: 2, raisedAt: new Date(), hoursUnacknowledged: 24 }).text).toMatch(
      /^Not acknowledged for 24 hours — escalation 2\n/,
    );
    expect(renderAlertEmail(alert(), { step: 1, raisedAt: new Date(), hoursUnacknowledged: 1 }).text).toMatch(
      /^Not acknowledged for 1 hour — /,
    );
  });

  it('does not mention escalation in a first send', () => {
    const { subject, text, html } = renderAlertEmail(alert(), null);
    for (const part of [subject, text, html]) expect(part.toLowerCase()).not.toContain('escalat');
  });
});

describe('renderDigestEmail', () => {
  const manager = { email: 'jane@example.com', name: 'Jane Doe' };
  const alerts = [
    alert({
      alertId: 1,
      tier: 'high',
      customer: { externalId: 'C-1', name: 'Zeta Corp', segment: null },
      valueAtRisk: '60000.0000',
      ackUrl: 'https://cw.example/ack/one',
    }),
    alert({
      alertId: 2,
      tier: 'watch',
      customer: { externalId: 'C-2', name: 'Alpha & Co', segment: null },
      valueAtRisk: '20000.5000',
      ackUrl: 'https://cw.example/ack/two',
    }),
    alert({
      alertId: 3,
      tier: 'high',
      customer: { externalId: 'C-3', name: 'Mid Inc', segment: null },
      valueAtRisk: '4199.4',
      ackUrl: 'https://cw.example/ack/three',
    }),
  ];

  it('counts customers and totals the value at risk in the subject', () => {
    expect(renderDigestEmail(manager, alerts, '2026-11-23').subject).toBe(
      '[churnwatch] Daily digest 2026-11-23: 3 customers at risk (USD 84,200 at risk)',
    );
    expect(renderDigestEmail(manager, alerts.slice(0, 1), '2026-11-23').subject).toBe(
      '[churnwatch] Daily digest 2026-11-23: 1 customer at risk (USD 60,000 at risk)',
    );
  });

  it('lists totals per currency when there are several', () => {
    const mixed = [alerts[0] as EmailAlert, { ...(alerts[1] as EmailAlert), currency: 'EUR' }];
    expect(renderDigestEmail(manager, mixed, '2026-11-23').subject).toBe(
      '[churnwatch] Daily digest 2026-11-23: 2 customers at risk (EUR 20,001 + USD 60,000 at risk)',
    );
  });

  it('counts a customer with two alerts once', () => {
    const twice = [...alerts, { ...(alerts[0] as EmailAlert), alertId: 9, tier: 'watch', valueAtRisk: '1000' }];
    const { subject, text } = renderDigestEmail(manager, twice, '2026-11-23');
    expect(subject).toContain('3 customers at risk (USD 84,200 at risk)');
    expect(flat(text)).toContain('By tier: 2 high, 2 watch.');
  });

  it('keeps the given order, with each alert’s facts and own links, in both parts', () => {
    const { text, html } = renderDigestEmail(manager, alerts, '2026-11-23');
    const parts: Array<[string, string[]]> = [
      [flat(text), ['Zeta Corp', 'Alpha & Co', 'Mid Inc']],
      [html, ['Zeta Corp', 'Alpha &amp; Co', 'Mid Inc']],
    ];
    for (const [part, names] of parts) {
      const positions = names.map((n) => part.indexOf(n));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const url of ['https://cw.example/ack/one', 'https://cw.example/ack/two', 'https://cw.example/ack/three', CUSTOMER_URL])
        expect(part).toContain(url);
      expect(part).toContain('USD 60,000');
      expect(part).toContain('82 % churn risk (+14 pts)');
      expect(part).toContain('Activity down 64 % vs the previous 30 days');
      expect(part).toContain('Executive call with the customer');
      // Compact: the top drivers and the top action only.
      expect(part).not.toContain('Renewal in 14 days');
      expect(part).not.toContain('Run an account health check');
    }
    expect(text).toContain('Hello Jane Doe,');
    expect(flat(text)).toContain('3 customers at risk, USD 84,200 in total. By tier: 2 high, 1 watch.');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(78);
  });

  it('renders a phone-friendly, escaped html part', () => {
    const { html } = renderDigestEmail({ email: 'x@example.com', name: '<b>Bob</b>' }, alerts, '2026-11-23');
    expect(html).toContain('max-width:600px');
    expect(html).toContain('Hello &lt;b&gt;Bob&lt;/b&gt;,');
    expect(html).not.toMatch(/<script|<img|<link|src=|<style/i);
    expect(html.match(/>Acknowledge<\/a>/g)).toHaveLength(3);
    expect(Math.min(...fontSizes(html))).toBeGreaterThanOrEqual(14);
  });

  it('handles an empty day', () => {
    const { subject, text } = renderDigestEmail({ email: 'x@example.com', name: null }, [], '2026-11-23');
    expect(subject).toBe('[churnwatch] Daily digest 2026-11-23: no customers at risk');
    expect(text).toContain('Hello,');
    expect(text).toContain('No customers at risk today.');
  });
});

describe('renderAckPage', () => {
  const raisedAt = new Date('2026-11-23T14:05:00Z');
  const at = new Date('2026-11-23T15:30:00Z');

  it('asks for confirmation with a POST form and no script', () => {
    const html = renderAckPage({
      kind: 'confirm',
      token: 'MTIzLjE3OTU0MDAwMDA.c2ln-_',
      customerName: 'Acme <Ltd> & "Co"',
      tier: 'critical',
      probability: 0.82,
      raisedAt,
    });
    expect(html).toContain('<form method="post" action="/ack/MTIzLjE3OTU0MDAwMDA.c2ln-_"');
    expect(html).toMatch(/<button type="submit"[^>]*>Acknowledge<\/button>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Acme &lt;Ltd&gt; &amp; &quot;Co&quot;');
    expect(html).toContain('82 %');
    expect(html).toContain('CRITICAL');
    expect(html).toContain('2026-11-23 14:05 UTC');
    expect(html).toContain('max-width:600px');
    expect(html).toMatch(/^<!DOCTYPE html>/);
  });

  it('cannot break out of the form action with a hostile token', () => {
    const html = renderAckPage({
      kind: 'confirm',
      token: '"><script>x</script>',
      customerName: 'A',
      tier: 'high',
      probability: 0.5,
      raisedAt,
    });
    expect(html).not.toMatch(/<script/i);
  });

  it('has no form outside the confirm state', () => {
    const states = [
      { kind: 'done', customerName: 'Acme', acknowledgedAt: at },
      { kind: 'already', customerName: 'Acme', acknowledgedAt: at },
      { kind: 'closed', customerName: 'Acme' },
      { kind: 'invalid' },
      { kind: 'expired' },
      { kind: 'not_found' },
    ] as const;
    for (const state of states) {
      const html = renderAckPage(state);
      expect(html).not.toContain('<form');
      expect(html).not.toMatch(/<script/i);
    }
  });

  it('words each outcome', () => {
    expect(renderAckPage({ kind: 'done', customerName: 'Acme', acknowledgedAt: at })).toContain(
      'The alert for Acme was acknowledged at 2026-11-23 15:30 UTC',
    );
    expect(renderAckPage({ kind: 'already', customerName: 'Acme', acknowledgedAt: at })).toContain(
      'The alert for Acme was already acknowledged at 2026-11-23 15:30 UTC',
    );
    expect(renderAckPage({ kind: 'closed', customerName: 'A&B' })).toContain('The alert for A&amp;B is already closed');
    expect(renderAckPage({ kind: 'invalid' })).toContain('This link is not valid');
    expect(renderAckPage({ kind: 'expired' })).toContain('This link has expired; acknowledge from the dashboard');
    expect(renderAckPage({ kind: 'not_found' })).toContain('Alert not found');
  });
});
