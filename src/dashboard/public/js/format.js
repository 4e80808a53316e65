// @ts-check
/** Number, money and date formats in the reader's locale. */

import { h, srOnly } from './dom.js';

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
/** @type {Map<string, Intl.NumberFormat>} */
const moneyFormats = new Map();

/** @param {number | null | undefined} n */
export const int = (n) => (n === null || n === undefined ? '—' : integer.format(n));

/** @param {number | null | undefined} n */
export const num = (n) => (n === null || n === undefined ? '—' : decimal.format(n));

/** A probability or rate (0..1) as a percentage. @param {number | null | undefined} p */
export const pct = (p) => (p === null || p === undefined ? '—' : percent.format(p));

/**
 * Money from the API's decimal string (or number) in its currency.
 * @param {string | number | null | undefined} amount
 * @param {string} [currency]
 */
export function money(amount, currency = 'USD') {
  if (amount === null || amount === undefined || amount === '') return '—';
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 0 });
    } catch {
      // An unknown currency code: still show the amount and the code.
      format = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
    }
    moneyFormats.set(currency, format);
  }
  const text = format.format(Number(amount));
  return format.resolvedOptions().style === 'currency' ? text : `${text} ${currency}`;
}

/**
 * Money in few characters for chart axes ("$5K").
 * @param {number} amount
 * @param {string} [currency]
 */
export function moneyShort(amount, currency = 'USD') {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(amount);
  } catch {
    return `${new Intl.NumberFormat(undefined, { notation: 'compact' }).format(amount)} ${currency}`;
  }
}

/**
 * Money per currency, e.g. {"USD": "1234.5000", "EUR": "10.0000"}.
 * @param {Record<string, string | number> | null | undefined} byCurrency
 */
export function moneyByCurrency(byCurrency) {
  const entries = Object.entries(byCurrency ?? {});
  return entries.length === 0 ? money(0) : entries.map(([c, a]) => money(a, c)).join(' · ');
}

/** @param {string | null | undefined} iso */
export const date = (iso) => (iso ? dateFormat.format(new Date(iso)) : '—');

/** @param {string | null | undefined} iso */
export const dateTime = (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : '—');

/** @param {string | Date} value */
export const dayMonth = (value) => shortDate.format(new Date(value));

/** Time from an ISO instant until now, as years and months ("2 years 3 months"). @param {string} iso */
export function tenure(iso) {
  const start = new Date(iso);
  const now = new Date();
  let months = (now.getFullYear() - start.getFullYear()) * 12 + now.getMonth() - start.getMonth();
  if (now.getDate() < start.getDate()) months -= 1;
  if (months < 1) return `${Math.max(0, Math.floor((now.getTime() - start.getTime()) / 86_400_000))} days`;
  const years = Math.floor(months / 12);
  const rest = months % 12;
  const parts = [];
  if (years) parts.push(`${years} ${years === 1 ? 'year' : 'years'}`);
  if (rest) parts.push(`${rest} ${rest === 1 ? 'month' : 'months'}`);
  return parts.join(' ');
}

/**
 * A change in probability as points with an up or down marker (up = riskier).
 * @param {number | null | undefined} change
 */
export function change(change) {
  if (change === null || change === undefined) return h('span', { class: 'change none' }, 'new');
  const points = Math.round(change * 1000) / 10;
  if (points === 0) return h('span', { class: 'change flat' }, '0 pts');
  const up = points > 0;
  return h(
    'span',
    { class: `change ${up ? 'up' : 'down'}` },
    h('span', { 'aria-hidden': 'true' }, up ? '▲ ' : '▼ '),
    srOnly(up ? 'up ' : 'down '),
    `${up ? '+' : '−'}${Math.abs(points).toFixed(1)} pts`,
  );
}

/** A tier as a coloured badge (the name is always written out, colour is never the only cue). @param {string | null | undefined} tier */
export function tierBadge(tier) {
  if (!tier) return h('span', { class: 'tier tier-none' }, 'none');
  return h('span', { class: `tier tier-${/^[a-z0-9_-]+$/.test(tier) ? tier : 'other'}` }, tier);
}

/** A status (alert, run, delivery) as a small badge. @param {string} status */
export const statusBadge = (status) =>
  h('span', { class: `badge status-${String(status).replace(/[^a-z_]/g, '')}` }, String(status).replace('_', ' '));

/** "camelCase" or "snake_case" keys as words ("churnRate" → "churn rate"). @param {string} key */
export const words = (key) =>
  key
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
