/** Spend rows: monthly invoices on the billing day, payments, occasional refunds. */
import type { BookContext } from './context';
import * as declines from './decline';
import * as format from './format';
import type { Life } from './life';
import * as profiles from './profiles';
import type { Rng } from './random';
import { rowSuffixes, sortByAt } from './rows';
import * as time from './time';
import type { SpendRow } from './types';

// Module-local copies of what the per-invoice and per-row code uses: an imported binding is
// re-read through its module object on every use (through a getter under vitest).
const { inStress } = declines;
const { iso, money } = format;
const { CURRENCY, DECLINE } = profiles;
const { DAY, SEC, floorSec } = time;

const spendSuffix = rowSuffixes('s');

/** The customer's billing terms. */
interface Billing {
  /** day of month of the invoice */
  billDay: number;
  /** second of that day */
  billSec: number;
  payDelayDays: number;
  /** plan change (up or down): invoices at or after changeMs are multiplied by changeFactor */
  changeMs: number;
  changeFactor: number;
}

interface PendingSpend {
  at: number;
  amount: number;
  kind: SpendRow['kind'];
}

export function generateSpend(ctx: BookContext, rng: Rng, life: Life): SpendRow[] {
  const spend: SpendRow[] = [];
  const billing = drawBilling(ctx, rng, life);
  const pendingSpend = ctx.eventRate === 1 ? drawSpendEvents(ctx, rng, life, billing) : drawScaledSpendEvents(ctx, rng, life, billing);
  sortByAt(pendingSpend);
  let n = 0;
  for (const ps of pendingSpend) {
    spend.push({
      externalId: life.id + spendSuffix(++n),
      customerId: life.id,
      occurredAt: iso(ctx, ps.at),
      amount: money(ps.amount),
      kind: ps.kind,
      currency: CURRENCY,
    });
  }
  return spend;
}

function drawBilling(ctx: BookContext, rng: Rng, life: Life): Billing {
  const { signupMs, decline } = life;
  const signupDate = new Date(signupMs);
  const billDay = Math.min(28, signupDate.getUTCDate());
  const billSec = rng.int(1 * 3600, 6 * 3600);
  const payDelayDays = Math.min(40, 4 * Math.exp(0.6 * rng.normal()));
  // ordinary plan changes for customers without a decline episode
  let changeMs = Infinity;
  let changeFactor = 1;
  if (!decline) {
    const u = rng.next();
    if (u < 0.08) {
      changeMs = rng.uniform(ctx.windowStartMs, ctx.asOfMs);
      changeFactor = u < 0.04 ? rng.uniform(0.6, 0.9) : rng.uniform(1.1, 1.5);
    }
  } else {
    changeMs = decline.downgradeMs;
    changeFactor = decline.downgradeFactor;
  }
  return { billDay, billSec, payDelayDays, changeMs, changeFactor };
}

/** Invoices (with their payment and refund, if any) for every billing month in [lowerMs, cutoffMs). */
function drawSpendEvents(ctx: BookContext, rng: Rng, life: Life, billing: Billing): PendingSpend[] {
  const pendingSpend: PendingSpend[] = [];
  const ws = new Date(ctx.windowStartMs);
  let y = ws.getUTCFullYear();
  let mo = ws.getUTCMonth();
  for (;;) {
    const invMs = Date.UTC(y, mo, billing.billDay) + billing.billSec * SEC;
    if (invMs >= life.cutoffMs) break;
    mo++;
    if (mo === 12) {
      mo = 0;
      y++;
    }
    if (invMs < life.lowerMs) continue;
    drawInvoice(rng, life, billing, invMs, pendingSpend);
  }
  return pendingSpend;
}

/**
 * Another event rate: an invoice every month / eventRate counted from signup (so billing
 * dates spread over the period, as signups do), each for monthlyRevenue / eventRate (the
 * same revenue a month).
 */
function drawScaledSpendEvents(ctx: BookContext, rng: Rng, life: Life, billing: Billing): PendingSpend[] {
  const pendingSpend: PendingSpend[] = [];
  const period = (30.4375 * DAY) / ctx.eventRate;
  const first = life.signupMs + billing.billSec * SEC;
  // the first invoice at or after the window's start (signups may be years before it)
  const skip = Math.max(0, Math.ceil((life.lowerMs - first) / period));
  for (let invMs = first + skip * period; invMs < life.cutoffMs; invMs += period) {
    if (invMs < life.lowerMs) continue;
    drawInvoice(rng, life, billing, floorSec(invMs), pendingSpend, 1 / ctx.eventRate);
  }
  return pendingSpend;
}

function drawInvoice(rng: Rng, life: Life, billing: Billing, invMs: number, pendingSpend: PendingSpend[], share = 1): void {
  const { revenue, cutoffMs, decline } = life;
  const amount = Math.max(1, revenue * share * (invMs >= billing.changeMs ? billing.changeFactor : 1));
  pendingSpend.push({ at: invMs, amount, kind: 'invoice' });
  const stressed = decline !== null && decline.spend && inStress(decline, invMs);
  let payMs = drawPaymentMs(rng, stressed, invMs, billing.payDelayDays);
  if (payMs >= 0) {
    payMs = floorSec(payMs + rng.int(8 * 3600, 18 * 3600) * SEC);
    if (payMs < cutoffMs) pendingSpend.push({ at: payMs, amount, kind: 'payment' });
  }
  if (rng.chance(stressed ? 0.12 : 0.02)) {
    const refMs = floorSec(invMs + rng.uniform(3, 25) * DAY);
    if (refMs < cutoffMs) {
      pendingSpend.push({ at: refMs, amount: Math.max(0.01, amount * rng.uniform(0.1, 0.5)), kind: 'refund' });
    }
  }
}

/** Payment day of an invoice (before the time of day is added), or -1 when it is never paid. */
function drawPaymentMs(rng: Rng, stressed: boolean, invMs: number, payDelayDays: number): number {
  let payMs = -1;
  if (stressed) {
    if (!rng.chance(DECLINE.missedPayment)) payMs = invMs + (payDelayDays + rng.uniform(15, 45)) * DAY;
  } else {
    const u = rng.next();
    if (u < 0.03) payMs = invMs + (payDelayDays + rng.uniform(20, 40)) * DAY;
    else if (u >= 0.035) payMs = invMs + (payDelayDays + rng.uniform(0, 4)) * DAY;
  }
  return payMs;
}
