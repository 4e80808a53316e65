import { z } from 'zod';

const money = z.number().min(0).max(1e12);

/** Schema of the economics section of config/default.yaml: CLV, allocation and complaint handling costs (docs/economics.md). */
export const economicsSchema = z
  .object({
    /** Annual discount rate r of CLV; each monthly step is discounted by (1 + r)^(1/12). */
    annualDiscountRate: z.number().min(0).max(1),
    /** Months of future margin CLV adds up. */
    horizonMonths: z.number().int().min(1).max(600),
    /** Service cost a complaint carries by severity, unless the customer has actual service costs that month. */
    complaintHandlingCost: z.object({ low: money, medium: money, high: money, critical: money }).strict(),
    /** How pooled retention, service, win-back and other costs are shared: equally, or in proportion to monthly revenue. */
    allocationDriver: z.enum(['equal', 'revenue']),
    /** Lost value of a churned customer in CCC: its remaining CLV at churn, or 12 × monthly revenue. */
    lostValue: z.enum(['clv', 'annualRevenue']),
    /** A pooled win-back cost goes to the segment's customers who churned within this many months up to its month. */
    winbackWindowMonths: z.number().int().min(1).max(120),
    /** Longest period GET /v1/economics answers, in months. */
    maxPeriodMonths: z.number().int().min(1).max(120),
  })
  .strict();

export type EconomicsConfig = z.infer<typeof economicsSchema>;
