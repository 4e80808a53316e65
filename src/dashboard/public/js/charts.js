// @ts-check
/**
 * Hand-written SVG charts. Each one is a <figure> whose SVG has a title and a description
 * (its accessible name and summary), a <title> per data point (hover and screen readers),
 * and the same figures as a table under "Show the figures".
 */

import { h, s, uid } from './dom.js';

const WIDTH = 640;
const HEIGHT = 240;
const M = { top: 16, right: 16, bottom: 34, left: 72 };
const PLOT_W = WIDTH - M.left - M.right;
const PLOT_H = HEIGHT - M.top - M.bottom;

/**
 * @typedef {{ label: string, value: number, detail: string }} LinePoint
 * @typedef {{ title: string, summary: string, points: LinePoint[], thresholds: Array<{ name: string, value: number }>,
 *   format: (v: number) => string, className?: string, table: { columns: string[], rows: string[][] } }} LineSpec
 */

/**
 * A line over a 0..1 axis (probabilities), points evenly spaced oldest → newest, with
 * dashed horizontal lines at the thresholds.
 * @param {LineSpec} spec
 */
export function lineChart(spec) {
  const y = (/** @type {number} */ v) => M.top + PLOT_H * (1 - Math.min(1, Math.max(0, v)));
  const n = spec.points.length;
  const x = (/** @type {number} */ i) => M.left + (n === 1 ? PLOT_W / 2 : (PLOT_W * i) / (n - 1));
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) =>
    s(
      'g',
      { class: 'grid' },
      s('line', { x1: M.left, x2: M.left + PLOT_W, y1: y(v), y2: y(v) }),
      s('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, spec.format(v)),
    ),
  );
  const thresholds = spec.thresholds.map((t) =>
    s(
      'g',
      { class: `threshold threshold-${t.name}` },
      s('line', { x1: M.left, x2: M.left + PLOT_W, y1: y(t.value), y2: y(t.value), 'stroke-dasharray': '6 4' }),
      // Inside the plot, just above its line: a right margin wide enough would squeeze a phone's chart.
      s('text', { x: M.left + PLOT_W - 4, y: y(t.value) - 5, 'text-anchor': 'end' }, `${t.name} ${spec.format(t.value)}`),
    ),
  );
  const path = spec.points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const points = spec.points.map((p, i) =>
    s('circle', { class: 'point', cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 5 }, s('title', {}, p.detail)),
  );
  const labels = axisLabels(n).map((i) =>
    s('text', { class: 'axis-label', x: x(i), y: HEIGHT - 8, 'text-anchor': anchor(i, n) }, spec.points[i]?.label ?? ''),
  );
  const body = [
    s('g', { 'aria-hidden': 'true' }, grid, thresholds, labels),
    s('path', { class: 'line', d: path }),
    s('g', { class: 'points' }, points),
  ];
  return figure(spec, body);
}

/**
 * @typedef {{ label: string, values: number[], className: string }} BarSeries
 * @typedef {{ title: string, summary: string, labels: string[], series: BarSeries[], details: string[],
 *   format: (v: number) => string, axisFormat?: (v: number) => string, className?: string,
 *   table: { columns: string[], rows: string[][] } }} BarSpec
 */

/**
 * Grouped bars per period (week), one colour per series, starting at zero.
 * @param {BarSpec} spec
 */
export function barChart(spec) {
  const n = spec.labels.length;
  const max = niceCeiling(Math.max(0, ...spec.series.flatMap((x) => x.values)));
  const y = (/** @type {number} */ v) => M.top + PLOT_H * (1 - v / max);
  const slot = PLOT_W / Math.max(1, n);
  const barW = (slot * 0.8) / spec.series.length;
  // A middle line only where it falls on a whole number (no "0, 1, 1" axis for counts).
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
  const axisFormat = spec.axisFormat ?? spec.format;
  const grid = ticks.map((v) =>
    s(
      'g',
      { class: 'grid' },
      s('line', { x1: M.left, x2: M.left + PLOT_W, y1: y(v), y2: y(v) }),
      s('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, axisFormat(v)),
    ),
  );
  const bars = spec.series.map((series, k) =>
    s(
      'g',
      { class: `bars ${series.className}` },
      series.values.map((v, i) =>
        s(
          'rect',
          {
            class: 'bar',
            x: (M.left + slot * i + slot * 0.1 + barW * k).toFixed(1),
            y: y(v).toFixed(1),
            width: Math.max(1, barW - 1).toFixed(1),
            height: (PLOT_H - (y(v) - M.top)).toFixed(1),
          },
          s('title', {}, `${spec.details[i] ?? ''}: ${series.label} ${spec.format(v)}`),
        ),
      ),
    ),
  );
  const labels = axisLabels(n, 5).map((i) =>
    s(
      'text',
      { class: 'axis-label', x: M.left + slot * (i + (i === 0 ? 0 : i === n - 1 ? 1 : 0.5)), y: HEIGHT - 8, 'text-anchor': anchor(i, n) },
      spec.labels[i] ?? '',
    ),
  );
  // The legend is HTML above the chart: it wraps on a phone where SVG text could not.
  const legend =
    spec.series.length > 1
      ? h(
          'ul',
          { class: 'legend', 'aria-hidden': 'true' },
          spec.series.map((x) => h('li', {}, h('span', { class: `swatch ${x.className}` }), x.label)),
        )
      : null;
  return figure(spec, [s('g', { 'aria-hidden': 'true' }, grid, labels), bars], legend);
}

/**
 * @typedef {{ value: number | null, detail: string }} SeriesValue
 * @typedef {{ label: string, className: string, values: SeriesValue[] }} ValueSeries
 * @typedef {{ title: string, summary: string, labels: string[], series: ValueSeries[],
 *   axisFormat: (v: number) => string, className?: string, data: HTMLElement, notes?: HTMLElement | null,
 *   everyLabel?: boolean }} SeriesBarSpec
 */

/**
 * Grouped bars where each bar says what it is (its own tooltip: figure, formula, inputs) and
 * a value may be missing (null: not defined, e.g. nothing to divide by; no bar is drawn, the
 * tooltip of its empty slot says so). The figures are the caller's table (`data`), so its
 * cells can carry their own formulas.
 * @param {SeriesBarSpec} spec
 */
export function seriesBarChart(spec) {
  const n = spec.labels.length;
  const max = niceCeiling(Math.max(0, ...spec.series.flatMap((x) => x.values.map((v) => v.value ?? 0))));
  const y = (/** @type {number} */ v) => M.top + PLOT_H * (1 - Math.max(0, v) / max);
  const slot = PLOT_W / Math.max(1, n);
  const barW = (slot * 0.8) / Math.max(1, spec.series.length);
  const grid = [0, max / 2, max].map((v) =>
    s(
      'g',
      { class: 'grid' },
      s('line', { x1: M.left, x2: M.left + PLOT_W, y1: y(v), y2: y(v) }),
      s('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, spec.axisFormat(v)),
    ),
  );
  const bars = spec.series.map((series, k) =>
    s(
      'g',
      { class: `bars ${series.className}` },
      series.values.map((v, i) => {
        const x = (M.left + slot * i + slot * 0.1 + barW * k).toFixed(1);
        const width = Math.max(1, barW - 1).toFixed(1);
        // A missing value keeps a transparent slot: its tooltip says why there is no bar.
        return v.value === null
          ? s('rect', { class: 'bar missing', x, y: M.top, width, height: PLOT_H }, s('title', {}, v.detail))
          : s(
              'rect',
              { class: 'bar', x, y: y(v.value).toFixed(1), width, height: (PLOT_H - (y(v.value) - M.top)).toFixed(1) },
              s('title', {}, v.detail),
            );
      }),
    ),
  );
  const labels = axisLabels(n, spec.everyLabel ? n : 4).map((i) =>
    s(
      'text',
      { class: 'axis-label', x: M.left + slot * (i + (i === 0 ? 0 : i === n - 1 ? 1 : 0.5)), y: HEIGHT - 8, 'text-anchor': anchor(i, n) },
      spec.labels[i] ?? '',
    ),
  );
  // One series needs no legend: the title says what the bars are.
  const legend =
    spec.series.length > 1
      ? h(
          'ul',
          { class: 'legend', 'aria-hidden': 'true' },
          spec.series.map((x) => h('li', {}, h('span', { class: `swatch ${x.className}` }), x.label)),
        )
      : null;
  return figure(
    { ...spec, table: { columns: [], rows: [] } },
    [s('g', { 'aria-hidden': 'true' }, grid, labels), bars],
    legend,
    spec.data,
    spec.notes,
  );
}

/**
 * @param {{ title: string, summary: string, className?: string, table: { columns: string[], rows: string[][] } }} spec
 * @param {Array<SVGElement | SVGElement[]>} body
 * @param {HTMLElement | null} [legend]
 * @param {HTMLElement | null} [dataTable] the figures as the caller built them (instead of spec.table)
 * @param {HTMLElement | null} [notes] shown under the caption (e.g. how the figure is computed)
 */
function figure(spec, body, legend = null, dataTable = null, notes = null) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const svg = s(
    'svg',
    {
      class: `chart-svg ${spec.className ?? ''}`.trim(),
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': `${titleId} ${descId}`,
      focusable: 'false',
    },
    s('title', { id: titleId }, spec.title),
    s('desc', { id: descId }, spec.summary),
    ...body,
  );
  const data = h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, 'Show the figures'),
    dataTable ??
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'data compact' },
          h('caption', {}, spec.title),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              spec.table.columns.map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            spec.table.rows.map((row) =>
              h(
                'tr',
                {},
                row.map((cell) => h('td', {}, cell)),
              ),
            ),
          ),
        ),
      ),
  );
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, spec.title),
    notes,
    legend,
    svg,
    h('p', { class: 'chart-summary', 'aria-hidden': 'true' }, spec.summary),
    data,
  );
}

/** The first axis label starts at its point, the last ends at it: neither runs off the chart. */
const anchor = (/** @type {number} */ i, /** @type {number} */ n) => (n > 1 && i === 0 ? 'start' : n > 1 && i === n - 1 ? 'end' : 'middle');

/** Indices of at most `count` evenly spread axis labels, always the first and the last. */
function axisLabels(/** @type {number} */ n, count = 4) {
  if (n <= count) return [...Array(n).keys()];
  const step = (n - 1) / (count - 1);
  return [...new Set([...Array(count).keys()].map((k) => Math.round(k * step)))];
}

/** The smallest 1, 2 or 5 × 10^k at or above v (1 for an all-zero chart). @param {number} v */
export function niceCeiling(v) {
  if (v <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 5, 10].find((f) => f * magnitude >= v) ?? 10) * magnitude;
}
