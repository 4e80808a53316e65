import { z } from 'zod';
import { LIFECYCLE_STAGES } from './lifecycle-config.schema';

/** Schemas of the thresholds, alerts, email, delivery and playbooks sections of config/default.yaml. */

const probability = z.number().min(0).max(1);
const tierName = z.string().regex(/^[a-z][a-z0-9_-]*$/);
const email = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'expected an email address');

export const thresholdsSchema = z
  .object({
    /**
     * A customer keeps a tier it already holds until its probability falls this far below
     * the tier's threshold, so a score hovering at a threshold does not flap in and out.
     */
    hysteresis: z.number().min(0).max(0.5),
    /** Per-segment thresholds (segment → tier → minProbability) over the default tiers. */
    segments: z.record(z.string().min(1), z.record(tierName, probability)),
    /** Bounds of POST /v1/thresholds/preview's candidate settings (400 past them). */
    preview: z.object({ maxTiers: z.number().int().min(1).max(100), maxSegments: z.number().int().min(0).max(1000) }).strict(),
  })
  .strict();

const tierRule = z
  .object({
    /** Consecutive runs in the tier before an alert is raised (1 = at once). */
    confirmRuns: z.number().int().min(1),
    /** Or: days in the tier before an alert is raised (null: runs only). */
    confirmDays: z.number().min(0).nullable(),
    /** No second alert for the same customer and tier within this many days. */
    cooldownDays: z.number().min(0),
  })
  .strict();

export const alertsSchema = z
  .object({
    /** Per tier; a tier without a rule never raises alerts. */
    rules: z.record(tierName, tierRule),
    /** Tiers emailed at once to the account manager (cc the support lead) and escalated; others go to the daily digest. */
    immediateTiers: z.array(tierName),
    /** Immediate emails per recipient per day (UTC); the rest go to that recipient's digest. */
    perRecipientDailyCap: z.number().int().min(1),
    /** Hold new alerts (recorded, not sent) while the run that raised them is stale. */
    holdWhenStale: z.boolean(),
    /** Alert-storm guard: a run raising more than this is held for an admin (see config/default.yaml). */
    storm: z
      .object({
        maxShare: z.number().gt(0).max(1),
        maxGrowth: z.number().min(1),
        minAlerts: z.number().int().min(1),
        notify: z.union([z.literal('supportLead'), email]),
      })
      .strict(),
    value: z
      .object({
        /** annualRevenue: 12 × monthly revenue; clv: mean payment × payments a year × lifetimeYears (from spend signals). */
        basis: z.enum(['annualRevenue', 'clv']),
        lifetimeYears: z.number().positive(),
      })
      .strict(),
    /** Timed chain for unacknowledged immediate alerts; `to` is an address or `supportLead`. */
    escalation: z.array(z.object({ afterMinutes: z.number().positive(), to: z.union([z.literal('supportLead'), email]) }).strict()),
  })
  .strict();

export const emailSchema = z
  .object({
    /** From: header, e.g. "churnwatch <churnwatch@example.com>". */
    from: z.string().min(3),
    supportLead: email,
    /** SMTP server (env SMTP_URL); null writes .eml files to outboxDir instead. */
    smtpUrl: z
      .string()
      .regex(/^smtps?:\/\//, 'expected an smtp:// or smtps:// URL')
      .nullable(),
    /** Pooled SMTP connections per worker process. */
    maxConnections: z.number().int().min(1).max(50),
    outboxDir: z.string().min(1),
    /** Base URL of this service as seen from a mail client (acknowledge links). */
    publicUrl: z.string().url(),
    /** Acknowledge links expire after this many hours. */
    ackLinkTtlHours: z.number().positive(),
    /** HMAC secret of acknowledge links (env CHURNWATCH_ACK_SECRET); null: one generated and kept in Postgres. */
    ackSecret: z.string().min(32, 'must be at least 32 characters').nullable(),
    /** Hour of the scheduled daily digest (null: none; POST /v1/alerts/digest sends one on demand). */
    digest: z.object({ hour: z.number().int().min(0).max(23).nullable(), timezone: z.string().min(1) }).strict(),
  })
  .strict();

export const deliverySchema = z
  .object({
    /** Send attempts per email before it is marked failed; retries back off exponentially from backoffMs. */
    attempts: z.number().int().min(1),
    backoffMs: z.number().int().min(0),
    /** How often each worker process moves due emails from the Postgres outbox to the queue. */
    dispatchIntervalMs: z.number().int().min(50),
    dispatchBatch: z.number().int().min(1),
    /** A send claimed this long ago and never recorded (worker died) is handed out again. */
    sendLeaseSeconds: z.number().positive(),
    /** A queued email still not sent after this long is queued again (its queue job was lost). */
    requeueAfterSeconds: z.number().positive(),
    /** Emails one worker process sends at once. */
    concurrency: z.number().int().min(1),
    /** A worker process scoring a run takes no email jobs until its chunks are done (scoring first). */
    pauseWhileScoring: z.boolean(),
    /** While the mail server is unreachable, emails wait in the outbox and are tried again this often (no attempt used). */
    outageRetrySeconds: z.number().positive(),
  })
  .strict();

export const DRIVER_GROUPS = ['activity', 'complaints', 'spend', 'account'] as const;
export type DriverGroup = (typeof DRIVER_GROUPS)[number];
export const VALUE_SEGMENTS = ['high', 'mid', 'low'] as const;
export type ValueSegment = (typeof VALUE_SEGMENTS)[number];

const playbookAction = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]*$/),
    text: z.string().min(1),
    /** Driver groups this action answers; `any` fits every driver. */
    drivers: z.array(z.enum([...DRIVER_GROUPS, 'any'])).min(1),
    valueSegments: z.array(z.enum(VALUE_SEGMENTS)).min(1),
    tiers: z.array(tierName).min(1),
    /** Lifecycle stages this action is for (its stage or, at risk, the stage beneath); `any` or left out: every stage. */
    stages: z
      .array(z.enum([...LIFECYCLE_STAGES, 'any']))
      .min(1)
      .optional(),
    /** Cost of taking the action, in the book's currency. */
    cost: z.number().min(0),
    /** Expected reduction of the churn probability, as a share (0.2 = saves 20 % of the risk). */
    uplift: z.number().min(0).max(1),
  })
  .strict();

export const playbooksSchema = z
  .object({
    valueSegments: z
      .object({
        /** percentile: by monthly-revenue percentile of the book; bands: fixed monthly revenue. */
        basis: z.enum(['percentile', 'bands']),
        /** Percentiles (0..1) or monthly revenues at and above which a customer is high / mid value. */
        high: z.number().min(0),
        mid: z.number().min(0),
      })
      .strict()
      .refine((v) => v.mid <= v.high, { message: 'mid must not exceed high' })
      .refine((v) => v.basis !== 'percentile' || v.high <= 1, { message: 'percentiles are between 0 and 1' }),
    /**
     * Deprecated: the playbook budget is now the budget with `playbook: true` in `budgets.items`.
     * Still read, as an alias: where set, its amount and period replace that budget's (see budgets/budget-definitions.ts).
     */
    budget: z
      .object({ period: z.enum(['month', 'quarter']).optional(), amount: z.number().min(0).optional() })
      .strict()
      .optional(),
    /** Ranked actions kept per alert. */
    actionsPerAlert: z.number().int().min(1).max(10),
    actions: z.array(playbookAction).min(1),
  })
  .strict()
  .refine((p) => new Set(p.actions.map((a) => a.key)).size === p.actions.length, { message: 'action keys must be unique' });

export type ThresholdsConfig = z.infer<typeof thresholdsSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type EmailConfig = z.infer<typeof emailSchema>;
export type DeliveryConfig = z.infer<typeof deliverySchema>;
export type PlaybooksConfig = z.infer<typeof playbooksSchema>;
export type PlaybookAction = z.infer<typeof playbookAction>;
