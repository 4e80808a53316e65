// @ts-check
/**
 * Sections other parts of the economics work add to the Economics page, after its own
 * charts: budget vs actual with the forecast line (budgets) and customers by lifecycle
 * stage (lifecycle stages) plug in here. Each gets the page's context, the period and
 * grouping the reader chose, and the GET /v1/economics answer already fetched; it fetches
 * what else it needs with ctx.api and ctx.signal, and returns its section (null: nothing
 * to show, e.g. the service does not answer that yet). A section that throws is shown as
 * an error panel in its place; the rest of the page stays.
 *
 * @typedef {{ from: string, to: string, by: string }} EconomicsChoice
 * @typedef {{
 *   key: string,
 *   title: string,
 *   render: (ctx: import('../context.js').ViewContext, choice: EconomicsChoice, answer: any) => Promise<HTMLElement | null>,
 * }} EconomicsSection
 */

/** @type {EconomicsSection[]} */
export const ECONOMICS_SECTIONS = [];
