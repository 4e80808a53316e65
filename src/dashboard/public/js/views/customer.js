// @ts-check
/** One customer: profile, score and why, actions, score history, weekly signals, complaints, alerts. */

import { query } from '../api.js';
import { barChart, lineChart } from '../charts.js';
import { errorPanel, pageHeading } from '../context.js';
import { append, facts, h, table } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';
import { alertControls } from './alert-actions.js';

/** @param {import('../context.js').ViewContext} ctx */
export async function renderCustomer(ctx) {
  const { root, api, signal } = ctx;
  const externalId = ctx.match[0] ?? '';
  const heading = pageHeading(root, `Customer ${externalId}`);
  const page = await api.json(`/v1/customers/${encodeURIComponent(externalId)}`, { signal });
  const c = page.customer;
  heading.textContent = c.name;
  document.title = `${c.name} · churnwatch`;
  append(root, [
    h('p', { class: 'sub-heading' }, `${c.externalId}${c.status === 'churned' ? ` · churned ${fmt.date(c.churnedAt)}` : ''}`),
    h('div', { class: 'cards-grid' }, profileCard(c), scoreCard(page.score, c.currency)),
    page.score ? explanationCards(page.score, c.currency) : null,
    page.economics ? economicsPanel(page.economics) : null,
    historySection(page.history ?? [], thresholdsFor(ctx.settings, c.segment)),
    page.signals
      ? signalSections(page.signals, c.currency)
      : h('section', { class: 'card' }, h('h2', {}, 'Signals'), h('p', { class: 'empty' }, 'No weekly signal summary from the service.')),
  ]);
  const alertsBox = h('section', { class: 'card', 'aria-labelledby': 'alerts-heading' }, h('h2', { id: 'alerts-heading' }, 'Alerts'));
  root.append(alertsBox);
  try {
    // Older services answer no alerts on the customer page: ask the alerts API instead.
    const alerts = page.alerts ?? (await api.json(`/v1/alerts${query({ customerId: c.externalId, limit: 20 })}`, { signal })).items;
    alertsBox.append(
      alerts.length ? alertList(ctx, alerts, c.currency, c.name) : h('p', { class: 'empty' }, 'No alerts for this customer.'),
    );
  } catch (err) {
    alertsBox.append(errorPanel(err));
  }
}

/** Tier thresholds for this customer's segment (its overrides over the defaults). */
function thresholdsFor(/** @type {import('../context.js').Settings} */ settings, /** @type {string | null} */ segment) {
  const overrides = (segment && settings.segmentThresholds[segment]) || {};
  return settings.tiers.map((t) => ({ name: t.name, value: overrides[t.name] ?? t.minProbability }));
}

/** @param {any} c */
function profileCard(c) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'profile-heading' },
    h('h2', { id: 'profile-heading' }, 'Profile'),
    facts([
      ['Segment', c.segment ?? '—'],
      ['Plan', c.plan ?? '—'],
      ['Acquisition channel', c.acquisitionChannel ?? '—'],
      [
        'Account manager',
        c.accountManager ? `${c.accountManager.name ?? ''} ${c.accountManager.email ? `<${c.accountManager.email}>` : ''}`.trim() : '—',
      ],
      ['Monthly revenue', fmt.money(c.monthlyRevenue, c.currency)],
      ['Customer for', `${fmt.tenure(c.signupAt)} (since ${fmt.date(c.signupAt)})`],
      ['Renewal', fmt.date(c.renewalAt)],
      ['Status', c.status],
    ]),
  );
}

/** @param {any} score @param {string} currency */
function scoreCard(score, currency) {
  const body = score
    ? facts([
        ['Churn probability', h('strong', { class: 'big-number' }, fmt.pct(score.probability))],
        ['Tier', fmt.tierBadge(score.tier)],
        [
          'Change since the previous run',
          fmt.change(score.previousProbability == null ? null : score.probability - score.previousProbability),
        ],
        ['Value at risk', fmt.money(score.valueAtRisk, currency)],
        ['Scored at', fmt.dateTime(score.scoredAt)],
        ['Run', String(score.runId)],
        ['Model version', String(score.modelVersion)],
      ])
    : h('p', { class: 'empty' }, 'Not scored yet.');
  return h('section', { class: 'card', 'aria-labelledby': 'score-heading' }, h('h2', { id: 'score-heading' }, 'Latest score'), body);
}

/**
 * What the customer brought and cost (the page's `economics`): each figure shows its formula
 * and inputs on hover, and all of them are listed under "How these are computed" (tap).
 * @param {any} e
 */
function economicsPanel(e) {
  const currency = e.currency;
  /** @param {any} f */
  const how = (f) => `${f.formula}${inputsText(f.inputs)}`;
  /** @param {string} key @param {any} f @param {import('../dom.js').Child} text */
  const figure = (key, f, text) =>
    h('span', { class: 'number', title: how(f), dataset: { economics: key, value: String(f.value ?? '') } }, text);
  const ratio = (/** @type {number | null} */ v) => (v === null || v === undefined ? '—' : `${fmt.num(v)}×`);
  const costs = e.costsToDate ?? {};
  const totalCosts = Object.values(costs).reduce((s, v) => s + Number(v), 0);
  const payback = e.cacPaybackMonths;
  /** @type {Array<[string, any]>} */
  const listed = [
    ['Revenue to date', e.revenueToDate],
    ['Margin to date', e.marginToDate],
    ['Monthly margin', e.monthlyMargin],
    ['Monthly survival', e.monthlySurvival],
    ['CLV', e.clv],
    ['CAC', e.cac],
    ['CLV ÷ CAC', e.clvToCac],
    ['CAC payback', e.cacPaybackMonths],
  ];
  return h(
    'section',
    { class: 'card economics-panel', 'aria-labelledby': 'economics-heading', id: 'customer-economics' },
    h('h2', { id: 'economics-heading' }, 'Economics'),
    facts([
      ['Revenue to date', figure('revenueToDate', e.revenueToDate, fmt.money(e.revenueToDate.value, currency))],
      [
        'Costs to date',
        h(
          'span',
          {
            class: 'number',
            title: Object.entries(costs)
              .map(([k, v]) => `${k} ${fmt.money(/** @type {string} */ (v), currency)}`)
              .join(' · '),
            dataset: { economics: 'costsToDate', value: totalCosts.toFixed(4) },
          },
          fmt.money(totalCosts, currency),
        ),
      ],
      ['Margin to date', figure('marginToDate', e.marginToDate, fmt.money(e.marginToDate.value, currency))],
      ['Monthly margin', figure('monthlyMargin', e.monthlyMargin, fmt.money(e.monthlyMargin.value, currency))],
      ['CLV', h('strong', { class: 'big-number' }, figure('clv', e.clv, fmt.money(e.clv.value, currency)))],
      ['CAC', figure('cac', e.cac, fmt.money(e.cac.value, currency))],
      ['CLV ÷ CAC', figure('clvToCac', e.clvToCac, ratio(e.clvToCac.value))],
      [
        'CAC payback',
        figure('cacPaybackMonths', payback, payback.value === null ? 'never (margin not positive)' : `${fmt.num(payback.value)} months`),
      ],
    ]),
    h('h3', {}, 'Costs to date by category'),
    facts(Object.entries(costs).map(([k, v]) => [k, fmt.money(/** @type {string} */ (v), currency)])),
    e.includesPooledCosts
      ? null
      : h('p', { class: 'hint' }, 'Without shares of pooled costs (ad spend, team costs): leads and admins see those.'),
    h(
      'details',
      {},
      h('summary', {}, 'How these are computed'),
      h(
        'dl',
        { class: 'formulas' },
        listed.flatMap(([label, f]) => [h('dt', {}, label), h('dd', {}, how(f))]),
      ),
    ),
  );
}

/** " (monthlyMargin 120.0000, monthlySurvival 0.97…)" @param {Record<string, unknown> | undefined} inputs */
function inputsText(inputs) {
  const parts = Object.entries(inputs ?? {}).map(([k, v]) => `${k} ${v === null ? '—' : String(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** @param {any} score @param {string} currency */
function explanationCards(score, currency) {
  const list = (/** @type {any[]} */ items, /** @type {string} */ none) =>
    items?.length
      ? h(
          'ul',
          { class: 'sentences' },
          items.map((d) => h('li', {}, d.text)),
        )
      : h('p', { class: 'empty' }, none);
  const actions = score.actions?.length
    ? table({
        caption: 'Ranked retention actions',
        captionHidden: true,
        columns: ['Action', 'Cost', 'Expected saving'],
        rows: score.actions.map((/** @type {any} */ a) => [a.text, fmt.money(a.cost, currency), fmt.money(a.expectedSaving, currency)]),
      })
    : h('p', { class: 'empty' }, 'No suggested actions (they come with an open alert).');
  return h(
    'div',
    { class: 'cards-grid' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'drivers-heading' },
      h('h2', { id: 'drivers-heading' }, 'Why: the drivers'),
      list(score.drivers, 'No driver raises this score.'),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'changes-heading' },
      h('h2', { id: 'changes-heading' }, 'What changed since the previous run'),
      list(score.changes, 'Nothing changed noticeably.'),
    ),
    h(
      'section',
      { class: 'card wide', 'aria-labelledby': 'actions-heading' },
      h('h2', { id: 'actions-heading' }, 'What to do: ranked actions'),
      actions,
    ),
  );
}

/**
 * @param {any[]} history newest first (as the API answers)
 * @param {Array<{ name: string, value: number }>} thresholds
 */
function historySection(history, thresholds) {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-heading' },
    h('h2', { id: 'history-heading' }, 'Score history'),
  );
  if (!history.length) return (section.appendChild(h('p', { class: 'empty' }, 'No scores yet.')), section);
  const runs = [...history].reverse();
  const first = runs[0];
  const last = runs[runs.length - 1];
  const highest = runs.reduce((a, b) => (b.probability > a.probability ? b : a));
  // Dates on the axis, unless several runs share a day (backfills, reruns): then run numbers.
  const days = runs.map((r) => fmt.dayMonth(r.scoredAt));
  const labels = new Set(days).size === days.length ? days : runs.map((r) => `run ${r.runId}`);
  const detail = (/** @type {any} */ r) =>
    `Run ${r.runId}, ${fmt.dateTime(r.scoredAt)}: ${fmt.pct(r.probability)} (${r.tier ?? 'no tier'})`;
  section.append(
    lineChart({
      title: 'Churn probability by scoring run',
      summary:
        `${runs.length} ${runs.length === 1 ? 'run' : 'runs'}, from ${fmt.pct(first.probability)} on ${fmt.date(first.scoredAt)} ` +
        `to ${fmt.pct(last.probability)} on ${fmt.date(last.scoredAt)}; highest ${fmt.pct(highest.probability)}.` +
        (thresholds.length ? ` Dashed lines: tier thresholds (${thresholds.map((t) => `${t.name} ${fmt.pct(t.value)}`).join(', ')}).` : ''),
      className: 'score-history',
      points: runs.map((r, i) => ({ label: labels[i] ?? '', value: r.probability, detail: detail(r) })),
      thresholds,
      format: (v) => fmt.pct(v),
      table: {
        columns: ['Run', 'Scored at', 'Probability', 'Tier', 'Model version'],
        rows: runs.map((r) => [
          String(r.runId),
          fmt.dateTime(r.scoredAt),
          fmt.pct(r.probability),
          r.tier ?? '—',
          String(r.modelVersion ?? '—'),
        ]),
      },
    }),
  );
  return section;
}

/** @param {any} signals @param {string} currency */
function signalSections(signals, currency) {
  const weeks = signals.weeks ?? [];
  const labels = weeks.map((/** @type {any} */ w) => fmt.dayMonth(w.weekStart));
  const details = weeks.map((/** @type {any} */ w) => `Week of ${fmt.date(w.weekStart)}`);
  const col = (/** @type {string} */ key) => weeks.map((/** @type {any} */ w) => Number(w[key] ?? 0));
  const sum = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0);
  const span = weeks.length ? `${weeks.length} weeks from ${fmt.date(weeks[0].weekStart)}` : 'no weeks';
  /**
   * @param {string} title
   * @param {Array<{label: string, key: string, className: string}>} series
   * @param {(v: number) => string} format
   * @param {(v: number) => string} [axisFormat]
   */
  const chart = (title, series, format, axisFormat) => {
    const data = series.map((x) => ({ label: x.label, values: col(x.key), className: x.className }));
    return barChart({
      title,
      summary: `${span}: ${data.map((x) => `${x.label} ${format(sum(x.values))} in total, at most ${format(Math.max(0, ...x.values))} a week`).join('; ')}.`,
      labels,
      details,
      series: data,
      format,
      axisFormat,
      className: 'weekly',
      table: {
        columns: ['Week of', ...series.map((x) => x.label)],
        rows: weeks.map((/** @type {any} */ w, /** @type {number} */ i) => [
          fmt.date(w.weekStart),
          ...data.map((x) => format(x.values[i] ?? 0)),
        ]),
      },
    });
  };
  const moneyFormat = (/** @type {number} */ v) => fmt.money(v, currency);
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'signals-heading' },
      h('h2', { id: 'signals-heading' }, 'Signals per week'),
      facts([
        ['Last activity', fmt.dateTime(signals.lastActivityAt)],
        ['Last payment', fmt.dateTime(signals.lastPaymentAt)],
      ]),
      h(
        'div',
        { class: 'charts-grid' },
        chart('Activity per week', [{ label: 'activity', key: 'activity', className: 's-activity' }], fmt.int),
        chart(
          'Complaints per week',
          [
            { label: 'complaints', key: 'complaints', className: 's-complaints' },
            { label: 'severity-weighted', key: 'complaintsWeighted', className: 's-weighted' },
          ],
          fmt.int,
        ),
        chart(
          'Payments and refunds per week',
          [
            { label: 'payments', key: 'payments', className: 's-payments' },
            { label: 'refunds', key: 'refunds', className: 's-refunds' },
          ],
          moneyFormat,
          (v) => fmt.moneyShort(v, currency),
        ),
      ),
    ),
    complaintsSection(signals.complaints ?? []),
  ];
}

/** @param {any[]} complaints */
function complaintsSection(complaints) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'complaints-heading' },
    h('h2', { id: 'complaints-heading' }, 'Recent complaints'),
    complaints.length
      ? table({
          caption: 'Recent complaints, newest first',
          captionHidden: true,
          columns: ['Opened', 'Severity', 'Category', 'Status', 'Resolved', 'Satisfaction'],
          rows: complaints.map((x) => [
            fmt.date(x.openedAt),
            x.severity,
            x.category ?? '—',
            x.status,
            fmt.date(x.resolvedAt),
            x.satisfaction == null ? '—' : `${x.satisfaction} / 5`,
          ]),
        })
      : h('p', { class: 'empty' }, 'No complaints.'),
  );
}

/**
 * @param {import('../context.js').ViewContext} ctx
 * @param {any[]} alerts
 * @param {string} currency
 * @param {string} customerName
 */
function alertList(ctx, alerts, currency, customerName) {
  const list = h('ol', { class: 'alert-list' });
  for (const alert of alerts) list.append(alertItem(ctx, { customerName, ...alert }, currency));
  return list;
}

/** @param {import('../context.js').ViewContext} ctx @param {any} alert @param {string} currency */
function alertItem(ctx, alert, currency) {
  const outcome = alert.outcome;
  const item = h(
    'li',
    { class: 'alert-item', tabindex: '-1', dataset: { alertId: String(alert.id) } },
    h('h3', {}, `Alert ${alert.id} `, fmt.tierBadge(alert.tier), ' ', fmt.statusBadge(alert.status)),
    facts([
      ['Probability when raised', fmt.pct(alert.probability)],
      ['Value at risk', fmt.money(alert.valueAtRisk, alert.currency ?? currency)],
      ['Raised', fmt.dateTime(alert.raisedAt)],
      [
        'Acknowledged',
        alert.acknowledgedAt ? `${fmt.dateTime(alert.acknowledgedAt)}${alert.acknowledgedBy ? ` by ${alert.acknowledgedBy}` : ''}` : '',
      ],
      [
        'Outcome',
        outcome
          ? `${String(outcome.outcome).replace('_', ' ')}${outcome.action ? `, action: ${actionText(alert, outcome.action)}` : ''}`
          : '',
      ],
      ['Recorded', outcome ? `${fmt.dateTime(outcome.at)}${outcome.by ? ` by ${outcome.by}` : ''}` : ''],
      ['Note', outcome?.note ?? ''],
      ['Closed', alert.closedAt ? fmt.dateTime(alert.closedAt) : ''],
    ]),
    can(ctx.me, 'actOnAlerts')
      ? alertControls(ctx, alert, (updated) => {
          const next = alertItem(ctx, { ...alert, ...updated }, currency);
          item.replaceWith(next);
          next.focus();
        })
      : null,
  );
  return item;
}

/** An action key as its sentence, when the alert still lists it. @param {any} alert @param {string} key */
const actionText = (alert, key) => alert.actions?.find((/** @type {any} */ a) => a.key === key)?.text ?? key;
