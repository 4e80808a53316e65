import { z } from 'zod';

/** Schemas of the scoring, queue, tier and model sections of config/default.yaml. */

const probability = z.number().min(0).max(1);

export const queueSchema = z
  .object({
    /** Redis key prefix of every BullMQ queue (lets several deployments share one Redis). */
    prefix: z.string().min(1),
    attempts: z.number().int().min(1),
    backoffMs: z.number().int().min(0),
    /** A job whose worker stops renewing its lock for this long is handed to another worker. */
    lockDurationMs: z.number().int().min(500),
    stalledIntervalMs: z.number().int().min(500),
    concurrency: z.number().int().min(1),
  })
  .strict();

export const scoringSchema = z
  .object({
    /** Cron expression of the scheduled full run; null disables it. */
    cron: z.string().min(9).nullable(),
    timezone: z.string().min(1),
    /** Customers per chunk job. */
    chunkSize: z.number().int().min(1),
    /** A full run this old whose queue jobs are all gone is failed as abandoned by the next trigger. */
    abandonedAfterSeconds: z.number().int().min(1),
    /** Drivers kept per score (largest positive contributions). */
    drivers: z.number().int().min(1).max(20),
    changes: z.number().int().min(1).max(20),
    /** A run is marked stale when a signal kind's newest row is older than this. */
    staleAfterHours: z
      .object({ activity: z.number().positive(), complaints: z.number().positive(), spend: z.number().positive() })
      .strict(),
    /** VACUUM customer_scores after each full run (every row was just rewritten). */
    vacuumAfterFullRun: z.boolean(),
    /**
     * Customers of one chunk a run may skip because scoring them failed with a data error
     * (isolated by bisecting the chunk); past it the chunk, and its run, fail. 0: no isolation.
     */
    maxFailedCustomersPerChunk: z.number().int().min(0),
    /** asOf bounds and when a run is a backfill (history only): see config/default.yaml. */
    asOf: z
      .object({
        futureSkewSeconds: z.number().int().min(0),
        toleranceSeconds: z.number().int().min(0),
        /** null: only the newest live run's asOf decides. */
        liveWithinDays: z.number().positive().nullable(),
      })
      .strict(),
  })
  .strict();

export const tiersSchema = z
  .array(z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]*$/), minProbability: probability }).strict())
  .min(1)
  .refine((tiers) => tiers.every((t, i) => i === 0 || t.minProbability < (tiers[i - 1] as { minProbability: number }).minProbability), {
    message: 'tiers must be listed from the highest threshold down, strictly decreasing',
  })
  .refine((tiers) => new Set(tiers.map((t) => t.name)).size === tiers.length, { message: 'tier names must be unique' });

const modelFeature = z.object({ key: z.string().min(1), mean: z.number(), std: z.number().positive(), weight: z.number() }).strict();

export const modelSchema = z
  .object({
    /** The hand-set model used until a trained one is activated. */
    default: z.object({ intercept: z.number(), features: z.array(modelFeature).min(1) }).strict(),
    /**
     * How the default model standardises its features: robust, by each run's own book
     * (median and 1.4826 · MAD, computed once per run); fixed, by the means and stds above.
     * A trained model always uses its own.
     */
    defaultStandardisation: z.enum(['robust', 'fixed']),
    robust: z
      .object({
        /** Bound of every robust standardised value, |z| ≤ zLimit. */
        zLimit: z.number().positive().max(100),
        /** At most this many customers (a fixed pseudo-random sample of the book) give a run's statistics; null: all. */
        sampleSize: z.number().int().min(100).nullable(),
      })
      .strict(),
    training: z
      .object({
        horizonDays: z.number().int().min(1).max(730),
        /** Labelled snapshots to fit on, spacingDays apart, the newest horizonDays before the evaluation date. */
        snapshots: z.number().int().min(1).max(24),
        spacingDays: z.number().int().min(1),
        l2: z.number().min(0),
      })
      .strict(),
  })
  .strict();
