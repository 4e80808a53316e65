// @ts-check
/**
 * The metrics summary. Every section is optional: a section the service does not answer is
 * left out, one whose shape is unexpected is shown as plain figures, never an error.
 */

import { query } from '../api.js';
import { pageHeading } from '../context.js';
import { facts, field, h, table } from '../dom.js';
import * as fmt from '../format.js';

const DAY_MS = 86_400_000;
/** Sections with their own layout, in page order; any other key the service adds comes after them. */
const KNOWN = ['period', 'customers', 'revenue', 'alerts', 'model', 'championChallenger', 'runs'];

/** @param {import('../context.js').ViewContext} ctx */
export async function renderSummary(ctx) {
  const { root, api, signal } = ctx;
  pageHeading(root, 'Summary');
  const from = ctx.params.get('from') ?? '';
  const to = ctx.params.get('to') ?? '';
  root.append(periodForm(ctx, from, to));
  // The period is half-open [from, to): the day chosen as "to" is included by asking for the next midnight.
  const toExclusive = to ? new Date(Date.parse(to) + DAY_MS).toISOString().slice(0, 10) : '';
  const data = await api.json(`/v1/metrics/summary${query({ from, to: toExclusive })}`, { signal });
  const sections = [
    section('Period', data.period, periodSection),
    section('Customers', data.customers, customersSection),
    section('Revenue', data.revenue, revenueSection),
    section('Alerts and outcomes', data.alerts, alertsSection),
    section('Model', data.model, modelSection),
    section('Champion and challenger', data.championChallenger, championSection),
    section('Recent scoring runs', data.runs, runsSection),
    ...Object.keys(data)
      .filter((k) => !KNOWN.includes(k))
      .map((k) => section(capitalised(fmt.words(k)), data[k], generic)),
  ];
  root.append(h('div', { class: 'summary' }, sections));
}

/** @param {import('../context.js').ViewContext} ctx @param {string} from @param {string} to */
function periodForm(ctx, from, to) {
  const fromInput = h('input', { type: 'date', name: 'from', value: from });
  const toInput = h('input', { type: 'date', name: 'to', value: to });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Period of the figures' },
    field('From', fromInput),
    field('To (included)', toInput),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // A new history entry: back returns to the previous period.
    window.location.hash = `#/summary${query({ from: fromInput.value, to: toInput.value })}`;
  });
  return form;
}

/**
 * @param {string} title
 * @param {unknown} value
 * @param {(value: any) => Node | Node[] | null} render
 */
function section(title, value, render) {
  if (value === undefined || value === null) return null;
  let body;
  try {
    body = render(value);
  } catch {
    body = generic(value);
  }
  return h('section', { class: 'card' }, h('h2', {}, title), body);
}

/** @param {any} p */
const periodSection = (p) => h('p', {}, `From ${fmt.dateTime(p.from)} to ${fmt.dateTime(p.to)} (the end not included).`);

/** @param {any} c */
function customersSection(c) {
  return facts([
    ['Churn rate', h('strong', { class: 'big-number' }, fmt.pct(c.churnRate))],
    ['Retention rate', h('strong', { class: 'big-number' }, fmt.pct(c.retentionRate))],
    ['Customers at the start', fmt.int(c.atStart)],
    ['New customers', fmt.int(c.new)],
    ['Churned', fmt.int(c.churned)],
    ['Customers at the end', fmt.int(c.atEnd)],
  ]);
}

/** @param {any} r */
function revenueSection(r) {
  const byTier = r.atRisk?.byTier ?? {};
  const rows = Object.entries(byTier).map(([tier, t]) => [
    fmt.tierBadge(tier),
    fmt.int(t.customers),
    fmt.moneyByCurrency(t.valueAtRisk),
    fmt.moneyByCurrency(t.annualRevenue),
  ]);
  const total = r.atRisk?.total;
  if (total)
    rows.push([
      h('strong', {}, 'All tiers'),
      fmt.int(total.customers),
      fmt.moneyByCurrency(total.valueAtRisk),
      fmt.moneyByCurrency(total.annualRevenue),
    ]);
  return [
    facts([
      ['Churn cost (annual revenue lost)', r.churnCost ? fmt.moneyByCurrency(r.churnCost) : ''],
      ['Revenue saved (retained after an alert)', r.saved ? fmt.moneyByCurrency(r.saved) : ''],
    ]),
    rows.length
      ? table({
          caption: 'Customers and revenue at risk now, by tier',
          columns: ['Tier', 'Customers', 'Value at risk', 'Annual revenue'],
          rows,
        })
      : null,
  ].filter((x) => x !== null);
}

const COUNT_COLUMNS = ['Alerts', 'With outcome', 'Retained', 'Churned', 'False alarm', 'Precision', 'Lift'];

/** @param {any} c */
const countCells = (c) => [
  fmt.int(c.alerts),
  fmt.int(c.withOutcome),
  fmt.int(c.retained),
  fmt.int(c.churned),
  fmt.int(c.falseAlarm),
  fmt.pct(c.precision),
  c.lift == null ? '—' : `${fmt.num(c.lift)}×`,
];

/** @param {string} caption @param {string} first @param {Record<string, any> | undefined} counts */
function countsTable(caption, first, counts) {
  const entries = Object.entries(counts ?? {});
  if (!entries.length) return null;
  return table({
    caption,
    columns: [first, ...COUNT_COLUMNS],
    rows: entries.map(([k, c]) => [first === 'Tier' ? fmt.tierBadge(k) : fmt.words(k), ...countCells(c)]),
  });
}

/** @param {any} a */
function alertsSection(a) {
  const o = a.overall ?? {};
  const inPeriod = a.raisedInPeriod?.overall;
  return [
    facts([
      ['Alerts raised (ever)', fmt.int(o.alerts)],
      ['Open now', fmt.int(a.open)],
      ['Acknowledged, not closed', fmt.int(a.acknowledged)],
      ['With an outcome', fmt.int(o.withOutcome)],
      ['Precision', h('strong', { class: 'big-number' }, fmt.pct(o.precision))],
      ['Lift', o.lift == null ? '' : `${fmt.num(o.lift)}×`],
      ['Raised in the period', inPeriod ? `${fmt.int(inPeriod.alerts)} (precision ${fmt.pct(inPeriod.precision)})` : ''],
    ]),
    h('p', { class: 'hint' }, 'Precision: alerts about customers really at risk (retained or churned) among the alerts with an outcome.'),
    countsTable('By tier', 'Tier', a.byTier),
    countsTable('By action taken', 'Action', a.byAction),
    countsTable('By suggested playbook action', 'Action', a.byPlaybookAction),
  ].filter((x) => x !== null);
}

/** @param {any} m */
function metricsFacts(m) {
  if (!m) return h('p', { class: 'empty' }, 'Not evaluated (the configured model).');
  return facts([
    ['AUC', fmt.num(m.auc)],
    ['PR AUC', fmt.num(m.prAuc)],
    ['Brier score', fmt.num(m.brier)],
    ['Precision at top 10 %', fmt.pct(m.precisionAt10)],
    ['Lift at top 10 %', m.liftAt10 == null ? '—' : `${fmt.num(m.liftAt10)}×`],
    ['Evaluation rows', fmt.int(m.rows)],
  ]);
}

/** @param {any} m */
function modelSection(m) {
  /** @param {string} label @param {any} brief */
  const brief = (label, brief) =>
    brief
      ? h('div', { class: 'model-brief' }, h('h3', {}, `${label}: version ${brief.version} (${brief.source})`), metricsFacts(brief.metrics))
      : null;
  return [
    brief('Active model', m.active) ?? h('p', { class: 'empty' }, 'No active model.'),
    brief('Challenger', m.challenger),
    m.history?.length
      ? table({
          caption: 'Model versions, newest first',
          columns: ['Version', 'Source', 'Status', 'Created', 'AUC', 'PR AUC', 'Brier', 'Precision at 10 %', 'Lift at 10 %'],
          rows: m.history.map((/** @type {any} */ v) => [
            `v${v.version}${v.active ? ' (active)' : v.challenger ? ' (challenger)' : ''}`,
            v.source ?? '—',
            v.status ?? '—',
            fmt.date(v.createdAt),
            fmt.num(v.auc),
            fmt.num(v.prAuc),
            fmt.num(v.brier),
            fmt.pct(v.precisionAt10),
            v.liftAt10 == null ? '—' : `${fmt.num(v.liftAt10)}×`,
          ]),
        })
      : null,
  ].filter((x) => x !== null);
}

/** @param {any} c */
function championSection(c) {
  return facts([
    ['Run', `${c.runId} as of ${fmt.dateTime(c.asOf)}`],
    ['Customers compared', fmt.int(c.customers)],
    ['Champion', `v${c.champion?.version}: mean ${fmt.pct(c.champion?.meanProbability)}, ${fmt.pct(c.champion?.inTier)} in a tier`],
    ['Challenger', `v${c.challenger?.version}: mean ${fmt.pct(c.challenger?.meanProbability)}, ${fmt.pct(c.challenger?.inTier)} in a tier`],
    ['Tier agreement', fmt.pct(c.tierAgreement)],
    [
      'Known outcomes',
      c.outcomes
        ? `${fmt.int(c.outcomes.customers)} customers, ${fmt.int(c.outcomes.churned)} churned within ${c.outcomes.horizonDays} days`
        : '',
    ],
    ['AUC champion / challenger', c.outcomes ? `${fmt.num(c.outcomes.championAuc)} / ${fmt.num(c.outcomes.challengerAuc)}` : ''],
  ]);
}

/** @param {any[]} runs */
function runsSection(runs) {
  if (!runs.length) return h('p', { class: 'empty' }, 'No scoring runs yet.');
  return table({
    caption: 'Drift and signal freshness of the recent runs',
    columns: ['Run', 'Status', 'As of', 'Customers scored', 'Mean probability', 'Drift (PSI)', 'Stale signals', 'Newest signals'],
    rows: runs.map((r) => [
      `#${r.id}`,
      fmt.statusBadge(r.status),
      fmt.dateTime(r.asOf),
      fmt.int(r.customersScored),
      fmt.pct(r.meanProbability),
      r.drift == null ? '—' : fmt.num(r.drift),
      r.stale?.length ? r.stale.join(', ') : 'none',
      r.freshness
        ? Object.entries(r.freshness)
            .map(([kind, at]) => `${kind} ${fmt.date(/** @type {string | null} */ (at))}`)
            .join(' · ')
        : '—',
    ]),
  });
}

/**
 * Anything else: numbers, text and nested objects as plain figures.
 * @param {unknown} value
 * @returns {Node}
 */
function generic(value) {
  if (Array.isArray(value))
    return h(
      'ul',
      {},
      value.map((v) => h('li', {}, generic(v))),
    );
  if (value && typeof value === 'object') {
    return facts(Object.entries(value).map(([k, v]) => [fmt.words(k), v && typeof v === 'object' ? generic(v) : scalar(k, v)]));
  }
  return document.createTextNode(scalar('', value));
}

/** @param {string} key @param {unknown} v */
function scalar(key, v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return /rate|precision|share/i.test(key) ? fmt.pct(v) : fmt.num(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return fmt.dateTime(v);
  return String(v);
}

/** @param {string} text */
const capitalised = (text) => `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
