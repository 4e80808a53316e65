import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** The newest finished run that shadow-scored a challenger. */
export interface ChallengerRun {
  id: number;
  asOf: Date;
  championModelId: number;
  challengerModelId: number;
}

/** Probabilities of the customers whose outcome is known; labels 1 = churned within the horizon. */
export interface LabelledPairs {
  champion: Float64Array;
  challenger: Float64Array;
  labels: Uint8Array;
}

/** Sums and counts over the customers scored by both models in one run, and the labelled probabilities. */
export interface PairTotals {
  customers: number;
  championSum: number;
  challengerSum: number;
  /** Customers at or above the threshold by each model, and on the same side by both. */
  championInTier: number;
  challengerInTier: number;
  agreeing: number;
  labelled: number;
  churned: number;
  pairs: LabelledPairs;
  /** 1 when every compared customer was read; k for a 1-in-k sample of customer ids. */
  every: number;
}

export interface PairQuery {
  runId: number;
  managerEmail: string | null;
  /** In a tier: probability at or above this (the lowest tier threshold). */
  threshold: number;
  asOf: Date;
  horizonEnd: Date;
  now: Date;
}

/**
 * Customers compared at most, about: a book larger than this is compared on a fixed
 * 1-in-k sample of customer ids (every k-th id), so the read is bounded however large the
 * book; AUCs and shares on 50,000 customers are within about ±0.005 of the whole book's.
 */
export const SAMPLE_TARGET = 50_000;

/**
 * Both models' probabilities of the sampled customers in one run (score_history roles
 * champion and challenger, two primary-key lookups per customer, so the cost does not
 * grow with the history of other runs), with the customer's outcome where it is known:
 * churned in (asOf, horizonEnd] is 1; still a customer after horizonEnd (once passed) is
 * 0; anything else (gone by asOf, horizon not over) is NULL.
 * $1 run, $2 asOf, $3 horizonEnd, $4 now, then the customers' own parameters.
 */
const pairsSql = (customers: string) => `
  SELECT h.probability AS champion, g.probability AS challenger,
         CASE WHEN c.churned_at > $2::timestamptz AND c.churned_at <= $3::timestamptz THEN 1
              WHEN c.churned_at > $3::timestamptz OR (c.churned_at IS NULL AND $3::timestamptz <= $4::timestamptz) THEN 0 END AS label
    FROM ${customers}
    JOIN score_history h ON h.customer_id = c.id AND h.run_id = $1 AND h.role = 'champion'
    JOIN score_history g ON g.customer_id = c.id AND g.run_id = $1 AND g.role = 'challenger'`;

/** A manager's customers (all of them: a book of one manager is small), or every k-th customer id of the whole book. */
const MANAGER_PAIRS = pairsSql(`customers c`) + ` WHERE c.account_manager_email = $5`;
const SAMPLED_PAIRS = pairsSql(`generate_series($5::bigint, $6::bigint, $5::bigint) s(id) JOIN customers c ON c.id = s.id`);

/** Queries behind the champion-vs-challenger figures. */
@Injectable()
export class ChampionChallengerRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Reads in one snapshot, so the run and its scores are seen at the same moment. */
  inSnapshot<T>(work: (db: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('REPEATABLE READ', (db) => work(db));
  }

  async newestRun(db: EntityManager): Promise<ChallengerRun | null> {
    // A running or failed run has scored only some chunks: its comparison would be partial.
    const rows: Array<{ id: string; as_of: Date; model_id: string; challenger_model_id: string }> = await db.query(
      `SELECT id, as_of, model_id, challenger_model_id FROM scoring_runs
        WHERE challenger_model_id IS NOT NULL AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
    );
    const r = rows[0];
    return r
      ? { id: Number(r.id), asOf: r.as_of, championModelId: Number(r.model_id), challengerModelId: Number(r.challenger_model_id) }
      : null;
  }

  /**
   * The figures over the customers both models scored in the run: a manager's own, or a
   * 1-in-`every` sample of the book (`every` defaults to what keeps it near SAMPLE_TARGET).
   */
  async totals(q: PairQuery, db: EntityManager, every?: number): Promise<PairTotals> {
    const common = [q.runId, q.asOf, q.horizonEnd, q.now];
    let step = 1;
    let rows: Array<[number, number, number | null]>;
    if (q.managerEmail !== null) {
      rows = await this.rows(db, MANAGER_PAIRS, [...common, q.managerEmail]);
    } else {
      const [{ hi }] = (await db.query(`SELECT COALESCE(max(id), 0)::float8 AS hi FROM customers`)) as Array<{ hi: number }>;
      step = every ?? Math.max(1, Math.ceil(hi / SAMPLE_TARGET));
      rows = await this.rows(db, SAMPLED_PAIRS, [...common, step, hi]);
    }
    return { ...tally(rows, q.threshold), every: step };
  }

  private async rows(db: EntityManager, text: string, params: unknown[]): Promise<Array<[number, number, number | null]>> {
    const rows: Array<{ champion: number; challenger: number; label: number | null }> = await db.query(text, params);
    return rows.map((r) => [r.champion, r.challenger, r.label]);
  }
}

/** Sums, shares and the labelled pairs of the compared customers. */
function tally(rows: Array<[number, number, number | null]>, threshold: number): Omit<PairTotals, 'every'> {
  const t = {
    customers: rows.length,
    championSum: 0,
    challengerSum: 0,
    championInTier: 0,
    challengerInTier: 0,
    agreeing: 0,
    labelled: 0,
    churned: 0,
  };
  for (const [champion, challenger, label] of rows) {
    t.championSum += champion;
    t.challengerSum += challenger;
    if (champion >= threshold) t.championInTier++;
    if (challenger >= threshold) t.challengerInTier++;
    if (champion >= threshold === challenger >= threshold) t.agreeing++;
    if (label !== null) {
      t.labelled++;
      t.churned += label;
    }
  }
  const pairs: LabelledPairs = {
    champion: new Float64Array(t.labelled),
    challenger: new Float64Array(t.labelled),
    labels: new Uint8Array(t.labelled),
  };
  let k = 0;
  for (const [champion, challenger, label] of rows) {
    if (label === null) continue;
    pairs.champion[k] = champion;
    pairs.challenger[k] = challenger;
    pairs.labels[k++] = label;
  }
  return { ...t, pairs };
}
