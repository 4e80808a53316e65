// @ts-check
/** The at-risk list: filters and sort in the hash, cursor paging, CSV export. */

import { ApiError, isAbort, query } from '../api.js';
import { errorPanel, loading, pageHeading } from '../context.js';
import { field, h, replace, select, srOnly, table } from '../dom.js';
import * as fmt from '../format.js';
import { customerHash } from '../router.js';
import { can } from '../session.js';

const SORTS = /** @type {Array<[string, string]>} */ ([
  ['risk', 'Risk (highest first)'],
  ['valueAtRisk', 'Value at risk (highest first)'],
  ['change', 'Change since the previous run (biggest rise first)'],
]);
const PAGE_SIZES = ['10', '25', '50', '100', '200'];
const FALLBACK_GROUPS = ['activity', 'complaints', 'spend', 'account'];
const FILTER_KEYS = /** @type {const} */ (['tier', 'segment', 'manager', 'driver', 'sort', 'limit']);

/** @typedef {Record<(typeof FILTER_KEYS)[number], string>} Filters */

/** @param {import('../context.js').ViewContext} ctx */
export async function renderAtRisk(ctx) {
  const { root, api, signal } = ctx;
  const managerFilter = can(ctx.me, 'filterByManager');
  /** @type {Filters} */
  const filters = { tier: '', segment: '', manager: '', driver: '', sort: 'risk', limit: '50' };
  for (const key of FILTER_KEYS) filters[key] = ctx.params.get(key) ?? filters[key];
  if (!managerFilter) filters.manager = '';

  pageHeading(root, 'At-risk customers');
  const snapshotLine = h('p', { class: 'snapshot', id: 'snapshot' });
  const form = filterForm(ctx, filters, managerFilter);
  const csvButton = h('button', { type: 'button', class: 'secondary', id: 'download-csv' }, 'Download CSV');
  const results = h('div', { class: 'results', id: 'results', tabindex: '-1' });
  // The pager above the list too: on a phone the one below is a long scroll away.
  const pagerTop = h('nav', { class: 'pager', 'aria-label': 'Pages of the list (top)' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of the list' });
  const notice = h('p', { class: 'notice info', id: 'list-notice', hidden: true });
  root.append(form, h('div', { class: 'toolbar' }, snapshotLine, csvButton), notice, pagerTop, results, pager);

  /** Cursor of every page shown so far; the last one is the current page (null: the first). */
  /** @type {Array<string | null>} */
  let cursors = [null];

  /** Shows the current page; says so (in the page and to screen readers) when it had to start over. */
  async function load(restarted = false) {
    replace(results, loading());
    let page;
    try {
      page = await api.json(`/v1/at-risk${query({ ...filters, cursor: cursors[cursors.length - 1] })}`, { signal });
    } catch (err) {
      if (isAbort(err)) return;
      if (err instanceof ApiError && err.status === 410 && cursors.length > 1) {
        // The snapshot this cursor read was replaced by a newer run's: start over.
        cursors = [null];
        return load(true);
      }
      replace(results, errorPanel(err));
      replace(pager);
      replace(pagerTop);
      return;
    }
    notice.hidden = !restarted;
    notice.textContent = restarted ? 'The list was rebuilt from a newer scoring run, so it starts again at the first page.' : '';
    replace(snapshotLine, snapshotText(page.snapshot, ctx.settings));
    addTierOptions(form, page.snapshot);
    replace(results, page.items.length ? atRiskTable(page.items) : h('p', { class: 'empty' }, emptyText(page.snapshot)));
    renderPager(page.nextCursor, page.items.length);
  }

  /** @param {string | null} nextCursor @param {number} shown */
  function renderPager(nextCursor, shown) {
    const size = Number(filters.limit) || 50;
    const first = (cursors.length - 1) * size + 1;
    const where = shown ? `Page ${cursors.length}: rows ${fmt.int(first)}–${fmt.int(first + shown - 1)}` : `Page ${cursors.length}`;
    for (const nav of [pagerTop, pager]) {
      const previous = h('button', { type: 'button', class: 'secondary', disabled: cursors.length === 1 }, 'Previous');
      const next = h('button', { type: 'button', class: 'secondary', disabled: nextCursor === null }, 'Next');
      previous.addEventListener('click', () => turn(() => cursors.pop()));
      next.addEventListener('click', () => turn(() => cursors.push(nextCursor)));
      replace(nav, previous, h('span', { class: 'page-info' }, where), next);
    }
  }

  /** @param {() => unknown} move */
  async function turn(move) {
    move();
    await load();
    // The button pressed may now be disabled: continue reading at the top of the new rows.
    results.focus();
    ctx.announce(`${notice.textContent ?? ''} ${pager.querySelector('.page-info')?.textContent ?? ''}`.trim());
  }

  form.addEventListener('filters', async () => {
    Object.assign(filters, readForm(form, managerFilter));
    ctx.setParams(filters);
    cursors = [null];
    await load();
    // Focus stays on the filter just changed; say what the list now holds.
    ctx.announce(`${results.querySelectorAll('tbody tr').length} customers shown. ${snapshotLine.textContent ?? ''}`);
  });
  csvButton.addEventListener('click', async () => {
    csvButton.disabled = true;
    ctx.announce('Preparing the CSV…');
    const { limit: _limit, ...csvFilters } = filters;
    try {
      await api.download(`/v1/at-risk.csv${query(csvFilters)}`, `at-risk-${new Date().toISOString().slice(0, 10)}.csv`, { signal });
      ctx.announce('The CSV was downloaded.');
    } catch (err) {
      if (!isAbort(err)) ctx.announce(`The CSV could not be downloaded: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      csvButton.disabled = false;
    }
  });
  await load();
}

/**
 * @param {import('../context.js').ViewContext} ctx
 * @param {Filters} filters
 * @param {boolean} managerFilter
 */
function filterForm(ctx, filters, managerFilter) {
  const tiers = ctx.settings.tiers.map((t) => t.name);
  if (filters.tier && !tiers.includes(filters.tier)) tiers.push(filters.tier);
  const sizes = PAGE_SIZES.includes(filters.limit) ? PAGE_SIZES : [...PAGE_SIZES, filters.limit].sort((a, b) => Number(a) - Number(b));
  const tierSelect = select('tier', [['', 'Any tier'], ...tiers.map((t) => /** @type {[string, string]} */ ([t, t]))], filters.tier);
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter and sort the list' },
    field('Tier', tierSelect),
    field('Segment', h('input', { name: 'segment', type: 'text', value: filters.segment, autocomplete: 'off' })),
    managerFilter
      ? field('Account manager (email)', h('input', { name: 'manager', type: 'email', value: filters.manager, autocomplete: 'off' }))
      : null,
    field('Driver', driverSelect(ctx.settings, filters.driver)),
    field('Sort by', select('sort', SORTS, filters.sort)),
    field(
      'Rows per page',
      select(
        'limit',
        sizes.map((n) => /** @type {[string, string]} */ ([n, n])),
        filters.limit,
      ),
    ),
    h(
      'div',
      { class: 'filter-actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear'),
    ),
  );
  const changed = () => form.dispatchEvent(new Event('filters'));
  // Choices apply at once; typed filters on Enter or Apply (not on every keystroke).
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement) changed();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    changed();
  });
  form.addEventListener('reset', (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('input')) el.value = '';
    for (const el of form.querySelectorAll('select')) el.selectedIndex = 0;
    /** @type {HTMLSelectElement} */ (form.elements.namedItem('limit')).value = '50';
    changed();
  });
  return form;
}

/** Driver groups, then each group's features by label. @param {import('../context.js').Settings} settings @param {string} selected */
function driverSelect(settings, selected) {
  const groups = settings.driverGroups.length ? settings.driverGroups : FALLBACK_GROUPS;
  return h(
    'select',
    { name: 'driver' },
    h('option', { value: '' }, 'Any driver'),
    h(
      'optgroup',
      { label: 'Kind of driver' },
      groups.map((g) => h('option', { value: g, selected: g === selected }, `Any ${g} driver`)),
    ),
    groups.map((g) => {
      const features = settings.features.filter((f) => f.group === g);
      return features.length
        ? h(
            'optgroup',
            { label: `${g[0]?.toUpperCase()}${g.slice(1)}` },
            features.map((f) => h('option', { value: f.key, selected: f.key === selected }, f.label)),
          )
        : null;
    }),
  );
}

/** @param {HTMLFormElement} form @param {boolean} managerFilter @returns {Filters} */
function readForm(form, managerFilter) {
  const data = new FormData(form);
  const text = (/** @type {string} */ k) => String(data.get(k) ?? '').trim();
  return {
    tier: text('tier'),
    segment: text('segment'),
    manager: managerFilter ? text('manager') : '',
    driver: text('driver'),
    sort: text('sort') || 'risk',
    limit: text('limit') || '50',
  };
}

/** Tiers of the snapshot the settings did not name (e.g. a tier added since). @param {HTMLFormElement} form @param {any} snapshot */
function addTierOptions(form, snapshot) {
  const tierSelect = /** @type {HTMLSelectElement} */ (form.elements.namedItem('tier'));
  const known = new Set([...tierSelect.options].map((o) => o.value));
  for (const tier of Object.keys(snapshot?.byTier ?? {})) if (!known.has(tier)) tierSelect.append(h('option', { value: tier }, tier));
}

/** "Scores of run 5 as of …: 1,234 customers at risk (critical 10 · high 40 · watch 90)" */
function snapshotText(/** @type {any} */ snapshot, /** @type {import('../context.js').Settings} */ settings) {
  if (!snapshot) return 'No scores yet.';
  const order = settings.tiers.map((t) => t.name);
  const tiers = Object.entries(snapshot.byTier ?? {})
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([tier, n]) => `${tier} ${fmt.int(/** @type {number} */ (n))}`)
    .join(' · ');
  return `Scores of run ${snapshot.runId} as of ${fmt.dateTime(snapshot.asOf)}: ${fmt.int(snapshot.customers)} customers at risk${tiers ? ` (${tiers})` : ''}`;
}

/** @param {any} snapshot */
const emptyText = (snapshot) =>
  snapshot ? 'No customer matches these filters.' : 'The list appears once the first scoring run has finished.';

/** @param {any[]} items */
function atRiskTable(items) {
  return table({
    caption: 'At-risk customers',
    captionHidden: true,
    className: 'at-risk',
    columns: ['Customer', 'Segment', 'Account manager', 'Tier', 'Probability', 'Change', 'Value at risk', 'Top driver', 'Top action'],
    rows: items.map((item) => [
      [
        h('a', { href: customerHash(item.customerId), class: 'customer-link' }, item.name),
        h('span', { class: 'sub' }, item.customerId),
        item.alert ? h('span', { class: 'sub' }, `alert ${item.alert.status}`) : null,
      ],
      item.segment ?? '—',
      item.accountManager ? [item.accountManager.name ?? '', h('span', { class: 'sub manager-email' }, item.accountManager.email)] : '—',
      fmt.tierBadge(item.tier),
      h('span', { class: 'number' }, fmt.pct(item.probability)),
      fmt.change(item.change ?? (item.previousProbability == null ? null : item.probability - item.previousProbability)),
      h('span', { class: 'number' }, fmt.money(item.valueAtRisk, item.currency)),
      item.drivers?.[0]?.text ?? '—',
      item.actions?.[0]
        ? [
            item.actions[0].text,
            srOnly(', '),
            h('span', { class: 'sub' }, `saves about ${fmt.money(item.actions[0].expectedSaving, item.currency)}`),
          ]
        : '—',
    ]),
  });
}
