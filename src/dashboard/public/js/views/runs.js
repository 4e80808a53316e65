// @ts-check
/** Scoring runs: the recent ones, a trigger form (admin, scheduler), live progress while one runs. */

import { ApiError, isAbort } from '../api.js';
import { errorMessage, errorPanel, loading, pageHeading } from '../context.js';
import { cell, field, h, replace } from '../dom.js';
import * as fmt from '../format.js';
import { can } from '../session.js';

const POLL_MS = 1000;
const COLUMNS = [
  'Run',
  'Status',
  'Scope',
  'Progress',
  'Customers scored',
  'Alerts raised',
  'Drift (PSI)',
  'Stale signals',
  'Model',
  'Times',
];
const unfinished = (/** @type {any} */ run) => run.status === 'queued' || run.status === 'running';

/** @param {import('../context.js').ViewContext} ctx */
export async function renderRuns(ctx) {
  const { root, api, signal } = ctx;
  pageHeading(root, 'Scoring runs');
  const followed = h('section', { class: 'card followed', id: 'followed-run', hidden: true, 'aria-labelledby': 'followed-heading' });
  const listBox = h('div', { class: 'results' }, loading());
  if (can(ctx.me, 'triggerRuns')) root.append(triggerForm(ctx, follow));
  root.append(followed, h('h2', {}, 'Recent runs'), listBox);

  /** @type {Map<number, HTMLTableRowElement>} */
  const rows = new Map();
  /** Runs still queued or running, polled about once a second. */
  /** @type {Set<number>} */
  const active = new Set();
  /** @type {number | null} */
  let followedId = null;
  let polling = false;
  const tbody = h('tbody');

  try {
    const runs = await api.json('/v1/scoring-runs?limit=20', { signal });
    replace(listBox, runs.length ? runsTable(tbody) : h('p', { class: 'empty' }, 'No scoring runs yet.'));
    for (const run of runs) show(run);
  } catch (err) {
    if (isAbort(err)) return;
    replace(listBox, errorPanel(err));
  }

  /** Shows a run (new or updated) in the table, and in the followed panel when it is the one followed. @param {any} run */
  function show(run) {
    const row = runRow(run);
    const old = rows.get(run.id);
    if (old) old.replaceWith(row);
    else {
      if (!tbody.isConnected) replace(listBox, runsTable(tbody));
      // Runs arrive newest first from the list; a run started here is the newest of all.
      if (rows.size && run.id > Math.max(...rows.keys())) tbody.prepend(row);
      else tbody.append(row);
    }
    rows.set(run.id, row);
    if (run.id === followedId) showFollowed(run);
    if (unfinished(run)) {
      active.add(run.id);
      poll();
    } else if (active.delete(run.id) && run.id === followedId) {
      ctx.announce(finishedText(run));
    }
  }

  /** @param {any} run */
  function follow(run) {
    followedId = run.id;
    show(run);
  }

  /** @param {any} run */
  function showFollowed(run) {
    followed.hidden = false;
    replace(
      followed,
      h('h2', { id: 'followed-heading' }, `Run ${run.id}`),
      h('p', { class: 'run-state' }, fmt.statusBadge(run.status), ' ', unfinished(run) ? progressText(run) : finishedText(run)),
      progressBar(run),
      run.error ? h('p', { class: 'notice error' }, run.error) : null,
    );
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      while (active.size && !signal.aborted) {
        await sleep(POLL_MS, signal);
        for (const id of [...active]) show(await api.json(`/v1/scoring-runs/${id}`, { signal }));
      }
    } catch (err) {
      if (!isAbort(err)) ctx.announce(`Progress could not be read: ${errorMessage(err)}`);
    } finally {
      polling = false;
    }
  }
}

/**
 * @param {import('../context.js').ViewContext} ctx
 * @param {(run: any) => void} follow
 */
function triggerForm(ctx, follow) {
  const segment = h('input', { name: 'segment', type: 'text', autocomplete: 'off' });
  const ids = h('textarea', { name: 'customerIds', rows: '3', autocomplete: 'off' });
  const problem = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, 'Start the run');
  /** @param {string} value @param {string} label @param {boolean} [checked] */
  const choice = (value, label, checked = false) => {
    const id = `scope-${value}`;
    return h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'scope', value, id, checked }), h('label', { for: id }, label));
  };
  // Each scope's input sits under its choice and shows only while that choice is made.
  const segmentField = field('Segment', segment, 'e.g. enterprise');
  const idsField = field('Customer ids', ids, 'external ids, separated by commas, spaces or lines');
  const form = h(
    'form',
    { class: 'card trigger', 'aria-labelledby': 'trigger-heading' },
    h('h2', { id: 'trigger-heading' }, 'Start a scoring run'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Who to score'),
      choice('all', 'Everyone', true),
      choice('segment', 'One segment'),
      segmentField,
      choice('customers', 'These customers'),
      idsField,
    ),
    problem,
    button,
  );
  const showScopeInputs = () => {
    const scope = String(new FormData(form).get('scope') ?? 'all');
    segmentField.hidden = scope !== 'segment';
    idsField.hidden = scope !== 'customers';
  };
  form.addEventListener('change', showScopeInputs);
  showScopeInputs();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const scope = String(new FormData(form).get('scope') ?? 'all');
    /** @type {Record<string, unknown>} */
    let body = {};
    if (scope === 'segment') {
      if (!segment.value.trim()) return fail('Enter the segment to score.', segment);
      body = { segment: segment.value.trim() };
    } else if (scope === 'customers') {
      const list = ids.value.split(/[\s,;]+/).filter(Boolean);
      if (!list.length) return fail('Enter at least one customer id.', ids);
      body = { customerIds: list };
    }
    button.disabled = true;
    try {
      const run = await ctx.api.json('/v1/scoring-runs', { method: 'POST', body, signal: ctx.signal });
      ctx.announce(`Run ${run.id} queued.`);
      follow(run);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && typeof err.body?.id === 'number') {
        // One full run at a time: show the one that is going instead.
        const running = await ctx.api.json(`/v1/scoring-runs/${err.body.id}`, { signal: ctx.signal });
        ctx.announce(`Run ${running.id} is already ${running.status}: following it.`);
        fail(`Run ${running.id} is already ${running.status === 'queued' ? 'queued' : 'running'}; its progress is shown below.`);
        follow(running);
      } else if (!isAbort(err)) {
        fail(errorMessage(err));
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;

  /** @param {string} text @param {HTMLElement} [focus] */
  function fail(text, focus) {
    problem.hidden = false;
    problem.textContent = text;
    focus?.focus();
  }
}

/** @param {HTMLElement} tbody */
function runsTable(tbody) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data cards runs' },
      h('caption', { class: 'visually-hidden' }, 'Recent scoring runs, newest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      tbody,
    ),
  );
}

/** @param {any} run */
function runRow(run) {
  const cells = [
    [
      `#${run.id}`,
      h('span', { class: 'sub' }, run.trigger ?? ''),
      run.backfill
        ? h(
            'span',
            { class: 'badge', title: 'As of an earlier time than the live runs: score history only, no current scores, alerts or emails' },
            'backfill',
          )
        : null,
    ],
    [fmt.statusBadge(run.status), run.error ? h('span', { class: 'sub' }, run.error) : null],
    scopeText(run.scope),
    [progressBar(run), h('span', { class: 'sub' }, fmt.pct(run.progress))],
    `${fmt.int(run.customersScored)}${run.customersTotal != null ? ` of ${fmt.int(run.customersTotal)}` : ''}`,
    [fmt.int(run.alertsRaised), run.storm ? h('span', { class: 'sub' }, `alert storm, ${run.storm.status}`) : null],
    run.drift == null ? '—' : fmt.num(run.drift),
    run.stale?.length ? run.stale.join(', ') : 'none',
    `v${run.modelVersion ?? '—'}${run.challengerModelVersion ? ` (challenger v${run.challengerModelVersion})` : ''}`,
    timesText(run),
  ];
  return h(
    'tr',
    { dataset: { runId: String(run.id), status: run.status } },
    cells.map((content, i) => cell(COLUMNS[i] ?? '', content)),
  );
}

/** @param {any} run */
function progressBar(run) {
  const bar = h('progress', { max: '1', value: String(run.progress ?? 0), 'aria-label': `Run ${run.id} progress` }, fmt.pct(run.progress));
  return bar;
}

/** @param {any} scope */
function scopeText(scope) {
  if (!scope || scope.kind === 'all') return 'everyone';
  if (scope.kind === 'segment') return `segment ${scope.segment}`;
  const ids = scope.customerIds ?? [];
  return `${ids.length} ${ids.length === 1 ? 'customer' : 'customers'}${ids.length <= 3 ? `: ${ids.join(', ')}` : ''}`;
}

/** @param {any} run */
function timesText(run) {
  const took =
    run.startedAt && run.finishedAt ? ` (${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s)` : '';
  return h(
    'span',
    { class: 'times' },
    `as of ${fmt.dateTime(run.asOf)}`,
    h('br'),
    run.finishedAt
      ? `finished ${fmt.dateTime(run.finishedAt)}${took}`
      : run.startedAt
        ? `started ${fmt.dateTime(run.startedAt)}`
        : `created ${fmt.dateTime(run.createdAt)}`,
  );
}

/** @param {any} run */
const progressText = (run) =>
  `${fmt.pct(run.progress)}: ${run.chunks?.done ?? 0} of ${run.chunks?.total ?? '?'} chunks, ${fmt.int(run.customersScored)} customers scored so far.`;

/** @param {any} run */
const finishedText = (run) =>
  run.status === 'succeeded'
    ? `Run ${run.id} succeeded: ${fmt.int(run.customersScored)} customers scored, ${fmt.int(run.alertsRaised)} alerts raised.`
    : `Run ${run.id} failed${run.error ? `: ${run.error}` : '.'}`;

/** @param {number} ms @param {AbortSignal} signal */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new DOMException('aborted', 'AbortError'))), { once: true });
  });
}
