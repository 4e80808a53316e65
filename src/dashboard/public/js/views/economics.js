// @ts-check
/**
 * The Economics page: CAC, CRC, CSC and CCC by segment, channel or signup cohort and month
 * (GET /v1/economics), each as a chart with its figures as a table, every figure with its
 * formula and inputs (a tooltip on each bar and cell, a "How it is computed" note under
 * each chart), the pooled costs for leads and admins, and the same figures as CSV.
 * Period and grouping live in the hash (#/economics?from=YYYY-MM&to=YYYY-MM&by=channel).
 */

import { isAbort, query } from '../api.js';
import { seriesBarChart } from '../charts.js';
import { errorPanel, pageHeading } from '../context.js';
import { field, h, select, table } from '../dom.js';
import * as fmt from '../format.js';
import { ECONOMICS_SECTIONS } from './economics-sections.js';

/** @typedef {'segment' | 'channel' | 'cohort'} GroupBy */
/** @typedef {{ value: string | null, formula: string, inputs: Record<string, string | number | null> }} Figure */
/** @typedef {{ month: string, cac: Figure, crc: Figure, csc: Figure, ccc: Figure, otherSpend: string }} EconomicsMonth */
/** @typedef {{ group: string | null, currency: string, months: EconomicsMonth[] }} EconomicsGroup */

const BY = /** @type {Array<[GroupBy, string]>} */ ([
  ['segment', 'Segment'],
  ['channel', 'Acquisition channel'],
  ['cohort', 'Signup cohort (month)'],
]);

/** Groups drawn in a chart; the rest of the groups are one "other groups" series (every group is in the table). */
const MAX_SERIES = 6;

/**
 * @typedef {{ key: 'cac' | 'crc' | 'csc' | 'ccc', short: string, title: string, explain: string,
 *   inputs: Array<[string, string, 'money' | 'count']> }} FigureSpec
 */
/** @type {FigureSpec[]} */
const FIGURES = [
  {
    key: 'cac',
    short: 'CAC',
    title: 'Customer acquisition cost (CAC) per month',
    explain: 'what winning one customer cost: the acquisition spend of the month ÷ the customers who signed up in it',
    inputs: [
      ['acquisitionSpend', 'Acquisition spend', 'money'],
      ['customersAcquired', 'Customers acquired', 'count'],
    ],
  },
  {
    key: 'crc',
    short: 'CRC',
    title: 'Customer retention cost (CRC) per month',
    explain: 'what keeping one customer cost: the retention spend of the month ÷ the customers signed up before it and not churned in it',
    inputs: [
      ['retentionSpend', 'Retention spend', 'money'],
      ['customersRetained', 'Customers retained', 'count'],
    ],
  },
  {
    key: 'csc',
    short: 'CSC',
    title: 'Customer service cost (CSC) per month',
    explain: 'what serving one customer cost: the service spend of the month (with complaint handling) ÷ the customers active in it',
    inputs: [
      ['serviceSpend', 'Service spend', 'money'],
      ['customersServed', 'Customers served', 'count'],
    ],
  },
  {
    key: 'ccc',
    short: 'CCC',
    title: 'Customer churn cost (CCC) per month',
    explain: 'what losing customers cost: the lost value of the customers who churned in the month + the win-back spend',
    inputs: [
      ['customersChurned', 'Customers churned', 'count'],
      ['lostValue', 'Lost value', 'money'],
      ['winbackSpend', 'Win-back spend', 'money'],
    ],
  },
];

const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
/** "2026-03" → "Mar 2026". @param {string} ym */
const monthLabel = (ym) => monthFormat.format(new Date(`${ym}-01T00:00:00Z`));

/** @param {import('../context.js').ViewContext} ctx */
export async function renderEconomics(ctx) {
  const { root, api, signal } = ctx;
  pageHeading(root, 'Economics');
  const byParam = ctx.params.get('by') ?? '';
  const by = /** @type {GroupBy} */ (BY.some(([k]) => k === byParam) ? byParam : 'segment');
  const from = ctx.params.get('from') ?? '';
  const to = ctx.params.get('to') ?? '';
  const form = choiceForm(from, to, by);
  const csvButton = h('button', { type: 'button', class: 'secondary', id: 'download-economics-csv' }, 'Download CSV');
  const periodLine = h('p', { class: 'snapshot', id: 'economics-period' });
  root.append(form, h('div', { class: 'toolbar' }, periodLine, csvButton));

  /** @type {any} */
  let answer;
  try {
    answer = await api.json(`/v1/economics${query({ from, to, by })}`, { signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    root.append(errorPanel(err));
    return;
  }
  const choice = { from: answer.period.from, to: answer.period.to, by: answer.by };
  fillForm(form, choice);
  periodLine.textContent =
    `${monthLabel(choice.from)} – ${monthLabel(choice.to)} (${answer.period.months} months, UTC) by ${byLabel(choice.by).toLowerCase()}` +
    (answer.scope.managerEmail ? `: your customers (${answer.scope.managerEmail})` : ': the whole book');
  csvButton.addEventListener('click', async () => {
    csvButton.disabled = true;
    ctx.announce('Preparing the CSV…');
    try {
      await api.download(`/v1/economics.csv${query(choice)}`, `economics-${choice.by}-${choice.from}-${choice.to}.csv`, { signal });
      ctx.announce('The CSV was downloaded.');
    } catch (err) {
      if (!isAbort(err)) ctx.announce(`The CSV could not be downloaded: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      csvButton.disabled = false;
    }
  });

  const rules = rulesSection(answer.rules);
  const clvSection = h('div', { class: 'economics-charts', id: 'economics-clv' });
  root.append(
    scopeNotice(answer),
    h(
      'div',
      { class: 'economics-charts' },
      FIGURES.map((spec) => figureSection(spec, answer)),
    ),
    clvSection,
    ...(answer.pooled ? [pooledSection(answer.pooled)] : []),
    ...(rules ? [rules] : []),
  );
  await fillClv(ctx, clvSection);
  for (const section of ECONOMICS_SECTIONS) {
    const place = h('div', { class: 'economics-extra', dataset: { section: section.key } });
    root.append(place);
    try {
      const node = await section.render(ctx, choice, answer);
      if (node) place.append(node);
    } catch (err) {
      if (isAbort(err)) throw err;
      place.append(h('section', { class: 'card' }, h('h2', {}, section.title), errorPanel(err)));
    }
  }
}

/** @param {string} by */
const byLabel = (by) => BY.find(([k]) => k === by)?.[1] ?? by;

/** Period and grouping: the grouping applies at once, months on Show. @param {string} from @param {string} to @param {GroupBy} by */
function choiceForm(from, to, by) {
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Period and grouping of the figures', id: 'economics-form' },
    field('From (month)', h('input', { type: 'month', name: 'from', value: from, required: true }), 'YYYY-MM, UTC'),
    field('To (month, included)', h('input', { type: 'month', name: 'to', value: to, required: true }), 'YYYY-MM, UTC'),
    field('Group by', select('by', BY, by)),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit' }, 'Show')),
  );
  const go = () => {
    const data = new FormData(form);
    // A new history entry: back returns to the previous choice.
    window.location.hash = `#/economics${query({ from: String(data.get('from') ?? ''), to: String(data.get('to') ?? ''), by: String(data.get('by') ?? '') })}`;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go();
  });
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement) go();
  });
  return form;
}

/** The months the service answered for (its default period when none was asked). @param {HTMLFormElement} form @param {{ from: string, to: string }} choice */
function fillForm(form, choice) {
  /** @type {HTMLInputElement} */ (form.elements.namedItem('from')).value = choice.from;
  /** @type {HTMLInputElement} */ (form.elements.namedItem('to')).value = choice.to;
}

/** @param {any} answer */
function scopeNotice(answer) {
  return answer.scope.pooledCosts
    ? h(
        'p',
        { class: 'notice info', id: 'economics-scope' },
        'Figures include the pooled costs (ad spend of a channel, a team’s costs for a segment), shared among customers by the rules at the end of the page.',
      )
    : h(
        'p',
        { class: 'notice info', id: 'economics-scope' },
        'Your customers only, and only the costs booked to them (their own costs, actions on their alerts, complaint handling). Pooled costs are the whole book’s spending: leads and admins see them.',
      );
}

/** "segment smb" / "no channel", with the currency when the book has several. @param {EconomicsGroup} g @param {boolean} withCurrency */
function groupName(g, withCurrency) {
  const name = g.group ?? '(none)';
  return withCurrency ? `${name} (${g.currency})` : name;
}

/**
 * One figure: a chart of the largest groups of the main currency and a table of every group and month.
 * @param {FigureSpec} spec
 * @param {any} answer
 */
function figureSection(spec, answer) {
  /** @type {EconomicsGroup[]} */
  const groups = answer.groups;
  const months = monthsOf(answer.period.from, answer.period.to);
  const currencies = [...new Set(groups.map((g) => g.currency))];
  const withCurrency = currencies.length > 1;
  const served = (/** @type {EconomicsGroup} */ g) => g.months.reduce((sum, m) => sum + Number(m.csc.inputs.customersServed ?? 0), 0);
  const mainCurrency =
    currencies.sort(
      (a, b) =>
        groups.filter((g) => g.currency === b).reduce((s, g) => s + served(g), 0) -
        groups.filter((g) => g.currency === a).reduce((s, g) => s + served(g), 0),
    )[0] ?? 'USD';
  const ranked = groups.filter((g) => g.currency === mainCurrency).sort((a, b) => served(b) - served(a));
  const shown = ranked.length > MAX_SERIES ? ranked.slice(0, MAX_SERIES - 1) : ranked;
  const rest = ranked.slice(shown.length);
  const formula = groups[0]?.months[0]?.[spec.key].formula ?? '';
  const money = (/** @type {number} */ v) => fmt.money(v, mainCurrency);

  /** @param {Map<string, Figure>} byMonth @param {string} label */
  const seriesValues = (byMonth, label) =>
    months.map((ym) => {
      const f = byMonth.get(ym);
      const value = f && f.value !== null ? Number(f.value) : null;
      return { value, detail: `${label}, ${monthLabel(ym)}: ${spec.short} ${figureText(spec, f, mainCurrency)}` };
    });
  const series = shown.map((g, i) => ({
    label: groupName(g, false),
    className: `s-g${i + 1}`,
    values: seriesValues(new Map(g.months.map((m) => [m.month, m[spec.key]])), groupName(g, false)),
  }));
  if (rest.length) {
    const label = `${rest.length} other ${rest.length === 1 ? 'group' : 'groups'}`;
    series.push({ label, className: 's-other', values: seriesValues(combined(spec, rest, months), label) });
  }
  const values = series.flatMap((x) => x.values.map((v) => v.value)).filter((v) => v !== null);
  const highest = values.length ? Math.max(...values) : null;
  const summary =
    `${byLabel(answer.by)} groups by month, ${monthLabel(answer.period.from)} to ${monthLabel(answer.period.to)}` +
    (highest === null ? `: no ${spec.short} in the period (nobody to divide by).` : `; highest ${spec.short} ${money(highest)}.`) +
    (rest.length
      ? ` ${series.length - 1} largest groups (by customers served) and the other ${rest.length} together; every group is in the table.`
      : '') +
    (withCurrency ? ` Amounts in ${mainCurrency}; the other currencies are in the table (amounts are not converted).` : '');
  return h(
    'section',
    { class: 'card economics-figure', id: `figure-${spec.key}`, dataset: { figure: spec.key } },
    seriesBarChart({
      title: spec.title,
      summary,
      labels: months.map(monthLabel),
      series,
      axisFormat: (v) => fmt.moneyShort(v, mainCurrency),
      className: `economics ${spec.key}`,
      notes: h(
        'details',
        { class: 'formula' },
        h('summary', {}, 'How it is computed'),
        h('p', {}, `${spec.short} = ${formula}: ${spec.explain}.`),
        h(
          'p',
          { class: 'hint' },
          'A month without a bar has nobody to divide by (no value). Each bar and table cell shows its inputs on hover.',
        ),
      ),
      data: figureTable(spec, groups, withCurrency),
    }),
  );
}

/** The figure's inputs of several groups added up (one currency), and the figure of the sums. @param {FigureSpec} spec @param {EconomicsGroup[]} groups @param {string[]} months */
function combined(spec, groups, months) {
  /** @type {Map<string, Figure>} */
  const out = new Map();
  for (const ym of months) {
    /** @type {Record<string, number>} */
    const sums = {};
    for (const [k] of spec.inputs) sums[k] = 0;
    let any = false;
    for (const g of groups) {
      const f = g.months.find((m) => m.month === ym)?.[spec.key];
      if (!f) continue;
      any = true;
      for (const [k] of spec.inputs) sums[k] = (sums[k] ?? 0) + Number(f.inputs[k] ?? 0);
    }
    if (!any) continue;
    const [spendKey, countKey] = spec.inputs.map(([k]) => k);
    const value =
      spec.key === 'ccc'
        ? (sums.lostValue ?? 0) + (sums.winbackSpend ?? 0)
        : (sums[countKey ?? ''] ?? 0) > 0
          ? (sums[spendKey ?? ''] ?? 0) / (sums[countKey ?? ''] ?? 1)
          : null;
    const formula = groups[0]?.months[0]?.[spec.key].formula ?? '';
    out.set(ym, { value: value === null ? null : value.toFixed(4), formula, inputs: sums });
  }
  return out;
}

/**
 * "$300 = acquisitionSpend ÷ customersAcquired = $12,000 ÷ 40", or why there is none.
 * @param {FigureSpec} spec @param {Figure | undefined} f @param {string} currency
 */
function figureText(spec, f, currency) {
  if (!f) return 'no customers in this group this month';
  const inputs = spec.inputs.map(
    ([k, label, kind]) =>
      `${label.toLowerCase()} ${kind === 'money' ? fmt.money(f.inputs[k], currency) : fmt.int(Number(f.inputs[k] ?? 0))}`,
  );
  const value = f.value === null ? 'none (nobody to divide by)' : fmt.money(f.value, currency);
  return `${value} = ${f.formula}, with ${inputs.join(', ')}`;
}

/** Every group and month of one figure: the inputs and the figure, each figure cell with its formula. @param {FigureSpec} spec @param {EconomicsGroup[]} groups @param {boolean} withCurrency */
function figureTable(spec, groups, withCurrency) {
  const rows = groups.flatMap((g) =>
    g.months.map((m) => {
      const f = m[spec.key];
      return [
        groupName(g, withCurrency),
        monthLabel(m.month),
        ...spec.inputs.map(([k, , kind]) =>
          h(
            'span',
            { class: 'number', dataset: { input: k, value: String(f.inputs[k] ?? '') } },
            kind === 'money' ? fmt.money(f.inputs[k], g.currency) : fmt.int(Number(f.inputs[k] ?? 0)),
          ),
        ),
        h(
          'span',
          {
            class: 'number figure-value',
            title: `${spec.short} = ${figureText(spec, f, g.currency)}`,
            dataset: { figure: spec.key, value: f.value ?? '', group: g.group ?? '', month: m.month, currency: g.currency },
          },
          f.value === null ? '—' : fmt.money(f.value, g.currency),
        ),
      ];
    }),
  );
  return table({
    caption: `${spec.title}: every group and month`,
    columns: ['Group', 'Month', ...spec.inputs.map(([, label]) => label), spec.short],
    rows,
    className: `economics-table ${spec.key}`,
  });
}

/** The months from..to (YYYY-MM), both included. @param {string} from @param {string} to */
function monthsOf(from, to) {
  const out = [];
  let [y, m] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  for (let i = 0; i < 120 && y !== undefined && m !== undefined && ty !== undefined && tm !== undefined; i++) {
    if (y * 12 + m > ty * 12 + tm) break;
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

const CATEGORY_ORDER = ['acquisition', 'retention', 'service', 'winback', 'other'];

/**
 * Pooled costs (leads and admins): per month and category, what was pooled and the part no
 * customer matched (unallocated: in no group's figures).
 * @param {Array<{ month: string, category: string, currency: string, amount: string, unallocated: string }>} pooled
 */
function pooledSection(pooled) {
  const currency = pooled[0]?.currency ?? 'USD';
  const months = [...new Set(pooled.map((p) => p.month))].sort();
  const categories = CATEGORY_ORDER.filter((c) => pooled.some((p) => p.category === c && p.currency === currency));
  const rows = pooled.map((p) => [
    monthLabel(p.month),
    p.category,
    h('span', { class: 'number', dataset: { value: p.amount } }, fmt.money(p.amount, p.currency)),
    h(
      'span',
      {
        class: 'number',
        title: 'allocated = pooled − unallocated',
        dataset: { value: (Number(p.amount) - Number(p.unallocated)).toFixed(4) },
      },
      fmt.money(Number(p.amount) - Number(p.unallocated), p.currency),
    ),
    h(
      'span',
      {
        class: 'number',
        title: 'pooled costs no customer matched (e.g. ad spend of a month without sign-ups from that channel)',
        dataset: { value: p.unallocated },
      },
      fmt.money(p.unallocated, p.currency),
    ),
  ]);
  const body = pooled.length
    ? seriesBarChart({
        title: 'Pooled costs per month and category',
        summary: `${pooled.length} month and category totals; unallocated in total ${fmt.money(
          pooled.filter((p) => p.currency === currency).reduce((s, p) => s + Number(p.unallocated), 0),
          currency,
        )}.`,
        labels: months.map(monthLabel),
        series: categories.map((c, i) => ({
          label: c,
          className: `s-g${i + 1}`,
          values: months.map((ym) => {
            const p = pooled.find((x) => x.month === ym && x.category === c && x.currency === currency);
            return {
              value: p ? Number(p.amount) : 0,
              detail: `${c}, ${monthLabel(ym)}: pooled ${fmt.money(p?.amount ?? 0, currency)}, of which unallocated ${fmt.money(p?.unallocated ?? 0, currency)}`,
            };
          }),
        })),
        axisFormat: (v) => fmt.moneyShort(v, currency),
        className: 'economics pooled',
        notes: h(
          'details',
          { class: 'formula' },
          h('summary', {}, 'How it is shared'),
          h(
            'p',
            {},
            'A pooled cost has no customer: acquisition spend goes to the customers who signed up in its month (of its channel), equally; retention, service and other costs to the customers active in its month (of its segment); win-back spend to recent churners. What no customer matched is unallocated and in no figure.',
          ),
        ),
        data: table({
          caption: 'Pooled costs per month and category',
          columns: ['Month', 'Category', 'Pooled', 'Allocated', 'Unallocated'],
          rows,
          className: 'economics-table pooled',
        }),
      })
    : h('p', { class: 'empty' }, 'No pooled costs in this period.');
  return h(
    'section',
    { class: 'card', id: 'economics-pooled', 'aria-labelledby': 'pooled-heading' },
    h('h2', { id: 'pooled-heading' }, 'Pooled costs (leads and admins)'),
    body,
  );
}

/** The rules the figures were computed with. @param {any} rules */
function rulesSection(rules) {
  if (!rules) return null;
  const handling = Object.entries(rules.complaintHandlingCost ?? {})
    .map(([k, v]) => `${k} ${fmt.money(/** @type {number} */ (v))}`)
    .join(' · ');
  return h(
    'details',
    { class: 'card rules', id: 'economics-rules' },
    h('summary', {}, 'Rules these figures were computed with'),
    h(
      'ul',
      { class: 'sentences' },
      h(
        'li',
        {},
        `Pooled retention, service, win-back and other costs are shared ${rules.allocationDriver === 'revenue' ? 'in proportion to monthly revenue' : 'equally'} among their customers.`,
      ),
      h(
        'li',
        {},
        `Lost value of a churned customer: ${rules.lostValue === 'clv' ? 'its remaining CLV at churn' : '12 × its monthly revenue'}.`,
      ),
      h('li', {}, `CLV: ${rules.horizonMonths} months, discounted at ${fmt.pct(rules.annualDiscountRate)} a year.`),
      h('li', {}, `Win-back spend goes to the customers who churned in the last ${rules.winbackWindowMonths} months.`),
      handling ? h('li', {}, `Complaint handling cost by severity: ${handling}.`) : null,
    ),
  );
}

/**
 * CLV ÷ CAC by acquisition channel and the CLV distribution (GET /v1/economics/clv): values
 * as of now of the active customers, so neither follows the period (nor the grouping: CLV ÷
 * CAC is by channel). A service that cannot answer them shows why in their place.
 * @param {import('../context.js').ViewContext} ctx
 * @param {HTMLElement} place
 */
async function fillClv(ctx, place) {
  /** @type {any} */
  let clv;
  try {
    clv = await ctx.api.json('/v1/economics/clv?by=channel', { signal: ctx.signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    place.append(h('section', { class: 'card' }, h('h2', {}, 'Customer lifetime value'), errorPanel(err)));
    return;
  }
  /** @type {Array<any>} */
  const groups = clv.groups;
  const currency = groups[0]?.currency ?? clv.distribution[0]?.currency ?? 'USD';
  const shown = groups
    .filter((g) => g.currency === currency)
    .sort((a, b) => b.customers - a.customers)
    .slice(0, 8);
  const ratio = (/** @type {number | null} */ v) => (v === null || v === undefined ? '—' : `${fmt.num(v)}×`);
  /** @param {any} g */
  const ratioText = (g) =>
    `${g.group ?? '(none)'}: CLV ÷ CAC ${ratio(g.clvToCac.value)} = Σ CLV ${fmt.money(g.clvToCac.inputs.clv, g.currency)} ÷ Σ CAC ${fmt.money(g.cac.value, g.currency)}` +
    ` of the ${fmt.int(g.clvToCac.inputs.customersWithCac)} active customers with an acquisition cost${g.clvToCac.value === null ? ' (none: no ratio)' : ''}`;
  const ratioChart = seriesBarChart({
    title: 'CLV ÷ CAC by acquisition channel',
    summary: shown.length
      ? `Active customers now, the ${shown.length} largest channels: ${shown.map((g) => `${g.group ?? '(none)'} ${ratio(g.clvToCac.value)}`).join(', ')}.`
      : 'No active customers.',
    labels: shown.map((g) => g.group ?? '(none)'),
    everyLabel: shown.length <= 6,
    series: [{ label: 'CLV ÷ CAC', className: 's-g1', values: shown.map((g) => ({ value: g.clvToCac.value, detail: ratioText(g) })) }],
    axisFormat: (v) => `${fmt.num(v)}×`,
    className: 'economics clv-to-cac',
    notes: h(
      'details',
      { class: 'formula' },
      h('summary', {}, 'How it is computed'),
      h(
        'p',
        {},
        `CLV ÷ CAC = ${groups[0]?.clvToCac.formula ?? 'Σ clv ÷ Σ cac'}, over each channel's active customers with an acquisition cost, as of now (customers won before the costs were recorded have none), `,
        "each customer's CLV and CAC as on its page. Not tied to the period above.",
      ),
    ),
    data: table({
      caption: 'CLV and CAC by acquisition channel (active customers, now)',
      columns: ['Channel', 'Customers', 'Σ CLV', 'Σ CAC', 'CLV ÷ CAC', 'Median CLV'],
      rows: groups.map((g) => [
        `${g.group ?? '(none)'}${g.currency !== currency ? ` (${g.currency})` : ''}`,
        h('span', { class: 'number', dataset: { value: String(g.customers) } }, fmt.int(g.customers)),
        h('span', { class: 'number', title: g.clv.formula, dataset: { value: g.clv.value } }, fmt.money(g.clv.value, g.currency)),
        h('span', { class: 'number', title: g.cac.formula, dataset: { value: g.cac.value } }, fmt.money(g.cac.value, g.currency)),
        h(
          'span',
          {
            class: 'number figure-value',
            title: ratioText(g),
            dataset: { figure: 'clvToCac', group: g.group ?? '', value: String(g.clvToCac.value ?? '') },
          },
          ratio(g.clvToCac.value),
        ),
        h('span', { class: 'number', dataset: { value: g.clvPercentiles.p50 } }, fmt.money(g.clvPercentiles.p50, g.currency)),
      ]),
      className: 'economics-table clv-to-cac',
    }),
  });
  /** @type {Array<{ currency: string, from: string, to: string, customers: number }>} */
  const bins = clv.distribution.filter((/** @type {any} */ b) => b.currency === currency);
  const binLabel = (/** @type {{ from: string, to: string }} */ b) =>
    `${fmt.moneyShort(Number(b.from), currency)}–${fmt.moneyShort(Number(b.to), currency)}`;
  const histogram = seriesBarChart({
    title: 'CLV distribution (active customers)',
    summary: bins.length
      ? `${fmt.int(bins.reduce((s, b) => s + b.customers, 0))} active customers in 10 CLV ranges (each the same multiple of the one before when all CLVs are positive) from ${fmt.money(bins[0]?.from, currency)} to ${fmt.money(bins[bins.length - 1]?.to, currency)}.`
      : 'No active customers.',
    labels: bins.map(binLabel),
    series: [
      {
        label: 'customers',
        className: 's-g3',
        values: bins.map((b) => ({
          value: b.customers,
          detail: `CLV ${fmt.money(b.from, currency)} to ${fmt.money(b.to, currency)}: ${fmt.int(b.customers)} customers`,
        })),
      },
    ],
    axisFormat: (v) => fmt.int(v),
    className: 'economics clv-distribution',
    notes: h(
      'details',
      { class: 'formula' },
      h('summary', {}, 'How it is computed'),
      h(
        'p',
        {},
        `Each active customer's CLV = Σ_{t=1..${clv.rules.horizonMonths}} monthlyMargin × monthlySurvival^t ÷ (1 + ${clv.rules.annualDiscountRate})^(t/12), as on its page; `,
        'the range from the lowest to the highest is cut into 10 parts, each the same multiple of the one before (a log scale: CLVs span orders of magnitude) when all are positive, else of equal width. Not tied to the period above.',
      ),
    ),
    data: table({
      caption: 'Active customers by CLV range',
      columns: ['CLV from', 'CLV to', 'Customers'],
      rows: bins.map((b) => [
        h('span', { class: 'number', dataset: { value: b.from } }, fmt.money(b.from, currency)),
        h('span', { class: 'number', dataset: { value: b.to } }, fmt.money(b.to, currency)),
        h('span', { class: 'number', dataset: { value: String(b.customers) } }, fmt.int(b.customers)),
      ]),
      className: 'economics-table clv-distribution',
    }),
  });
  place.append(
    h('section', { class: 'card economics-figure', id: 'figure-clv-to-cac' }, ratioChart),
    h('section', { class: 'card economics-figure', id: 'figure-clv-distribution' }, histogram),
  );
}
