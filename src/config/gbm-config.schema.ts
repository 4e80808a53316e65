import { z } from 'zod';

/**
 * model.gbm: the boosted-trees model kind (POST /v1/models/train {kind: "gbm"}); see
 * docs/models.md for what each parameter does.
 */
export const gbmSchema = z
  .object({
    learningRate: z.number().gt(0).max(1),
    maxTrees: z.number().int().min(1).max(2000),
    maxDepth: z.number().int().min(1).max(8),
    /** Quantile bins per feature (a byte per cell; 255 is the most). */
    maxBins: z.number().int().min(2).max(255),
    minSamplesLeaf: z.number().int().min(1),
    minHessianLeaf: z.number().min(0),
    /** Ridge penalty on leaf weights: w = −G / (H + l2). */
    l2: z.number().min(0),
    minSplitGain: z.number().min(0),
    /** Stop after this many rounds without a better log-loss on the early-stopping slice. */
    earlyStoppingRounds: z.number().int().min(1),
    /**
     * Feature key → +1 (never lowers the risk), −1 (never raises it) or 0; keys not listed are
     * free. Unknown keys stop start-up (ModelRegistry checks them against the feature catalogue,
     * as it does model.default's: config stays below the domains that read it).
     */
    monotone: z.record(z.string(), z.union([z.literal(-1), z.literal(0), z.literal(1)])),
  })
  .strict();

export type GbmConfig = z.infer<typeof gbmSchema>;
