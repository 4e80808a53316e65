import { z } from 'zod';

/** Every lifecycle stage a customer can be in (docs/economics.md "Lifecycle stages"). */
export const LIFECYCLE_STAGES = ['new', 'growing', 'mature', 'declining', 'at_risk', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Schema of the lifecycle section of config/default.yaml: how a scoring run derives each customer's stage. */
export const lifecycleSchema = z
  .object({
    /** Tenure (days since signup) below which a customer is `new`. */
    newTenureDays: z.number().positive().max(3650),
    /** Tenure from which a customer that is neither declining nor at risk is `mature` (`growing` before). */
    matureTenureDays: z.number().positive().max(36500),
    /** A sustained decline: activity (both conditions) or spend (alone) below these. */
    declining: z
      .object({
        /** activity_trend_12w at or below this (the 12-week weekly slope as a share of the usual weekly level)… */
        activityTrendMax: z.number().min(-1).max(0),
        /** …and activity_ratio (last 30 days on the 30 before) below this: the decline still goes on. */
        activityRatioBelow: z.number().positive().max(3),
        /** spend_change_90d (payments quarter on quarter) at or below this. */
        spendChangeMax: z.number().min(-1).max(0),
      })
      .strict(),
    /** A customer in one of these tiers is `at_risk`, whatever its other stage. */
    atRiskTiers: z.array(z.string().min(1)).min(1),
  })
  .strict()
  .refine((l) => l.newTenureDays <= l.matureTenureDays, { message: 'newTenureDays must not exceed matureTenureDays' });

export type LifecycleConfig = z.infer<typeof lifecycleSchema>;
