// @ts-check
/** Alerts, newest first, with status and tier filters, cursor paging and the alert buttons. */

import { isAbort, query } from '../api.js';
import { errorPanel, loading, pageHeading } from '../context.js';
import { cell, field, h, replace, select, srOnly } from '../dom.js';
import * as fmt from '../format.js';
import { customerHash } from '../router.js';
import { can } from '../session.js';
import { alertControls } from './alert-actions.js';

const STATUSES = /** @type {Array<[string, string]>} */ ([
  ['all', 'Any status'],
  ['open', 'Open'],
  ['acknowledged', 'Acknowledged'],
  ['closed', 'Closed'],
]);
const PAGE_SIZE = 25;

/** @param {import('../context.js').ViewContext} ctx */
export async function renderAlerts(ctx) {
  const { root, api, signal } = ctx;
  const filters = { status: ctx.params.get('status') ?? 'open', tier: ctx.params.get('tier') ?? '' };
  pageHeading(root, 'Alerts');
  const tiers = ctx.settings.tiers.map((t) => t.name);
  if (filters.tier && !tiers.includes(filters.tier)) tiers.push(filters.tier);
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter the alerts' },
    field('Status', select('status', STATUSES, filters.status)),
    field('Tier', select('tier', [['', 'Any tier'], ...tiers.map((t) => /** @type {[string, string]} */ ([t, t]))], filters.tier)),
  );
  const results = h('div', { class: 'results', id: 'results', tabindex: '-1' });
  // The pager above the list too: on a phone the one below is a long scroll away.
  const pagerTop = h('nav', { class: 'pager', 'aria-label': 'Pages of alerts (top)' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of alerts' });
  root.append(form, pagerTop, results, pager);
  /** @type {Array<string | null>} */
  let cursors = [null];

  async function load() {
    replace(results, loading());
    try {
      const page = await api.json(
        `/v1/alerts${query({ status: filters.status === 'all' ? '' : filters.status, tier: filters.tier, limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] })}`,
        { signal },
      );
      replace(results, page.items.length ? alertsList(ctx, page.items) : h('p', { class: 'empty' }, 'No alerts match these filters.'));
      for (const nav of [pagerTop, pager]) {
        const previous = h('button', { type: 'button', class: 'secondary', disabled: cursors.length === 1 }, 'Previous');
        const next = h('button', { type: 'button', class: 'secondary', disabled: page.nextCursor === null }, 'Next');
        previous.addEventListener('click', () => turn(() => cursors.pop()));
        next.addEventListener('click', () => turn(() => cursors.push(page.nextCursor)));
        replace(nav, previous, h('span', { class: 'page-info' }, `Page ${cursors.length}`), next);
      }
    } catch (err) {
      if (isAbort(err)) return;
      replace(results, errorPanel(err));
    }
  }

  /** @param {() => unknown} move */
  async function turn(move) {
    move();
    await load();
    results.focus();
    ctx.announce(`Page ${cursors.length} of the alerts`);
  }

  form.addEventListener('change', () => {
    const data = new FormData(form);
    filters.status = String(data.get('status') ?? 'open');
    filters.tier = String(data.get('tier') ?? '');
    ctx.setParams(filters);
    cursors = [null];
    load();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  await load();
}

/** @param {import('../context.js').ViewContext} ctx @param {any[]} alerts */
function alertsList(ctx, alerts) {
  const columns = ['Customer', 'Tier', 'Status', 'Probability', 'Value at risk', 'Raised', 'Emails', ''];
  const body = h(
    'tbody',
    {},
    alerts.map((a) => alertRow(ctx, a, columns)),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data cards alerts' },
      h('caption', { class: 'visually-hidden' }, 'Alerts, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c || srOnly('Actions'))),
        ),
      ),
      body,
    ),
  );
}

/** @param {import('../context.js').ViewContext} ctx @param {any} a @param {string[]} columns */
function alertRow(ctx, a, columns) {
  const cells = [
    [h('a', { href: customerHash(a.customerId) }, a.customerName), h('span', { class: 'sub' }, a.customerId)],
    fmt.tierBadge(a.tier),
    [fmt.statusBadge(a.status), a.held ? h('span', { class: 'sub' }, 'held: stale data') : null],
    h('span', { class: 'number' }, fmt.pct(a.probability)),
    h('span', { class: 'number' }, fmt.money(a.valueAtRisk, a.currency)),
    fmt.dateTime(a.raisedAt),
    deliverySummary(a.deliveries ?? []),
    can(ctx.me, 'actOnAlerts')
      ? alertControls(ctx, a, (updated) => {
          const next = alertRow(ctx, { ...a, ...updated }, columns);
          row.replaceWith(next);
          // Keep the keyboard where it was: the row's next control, else its customer link.
          /** @type {HTMLElement | null} */ (next.querySelector('.alert-controls button') ?? next.querySelector('a'))?.focus();
        })
      : '',
  ];
  const row = h(
    'tr',
    { dataset: { alertId: String(a.id) } },
    cells.map((content, i) => cell(columns[i] ?? '', content)),
  );
  return row;
}

/** "immediate sent · escalation 1 pending". @param {any[]} deliveries */
function deliverySummary(deliveries) {
  if (!deliveries.length) return '—';
  return h(
    'ul',
    { class: 'plain' },
    deliveries.map((d) => h('li', {}, `${d.kind}${d.step ? ` ${d.step}` : ''}: `, fmt.statusBadge(d.status))),
  );
}
