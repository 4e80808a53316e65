import { z } from 'zod';

/** Schema of the reporting section of config/default.yaml: at-risk lists, customer pages, metrics. */
export const reportingSchema = z
  .object({
    atRisk: z
      .object({
        /** Rows per page when the client asks for none, and the most it may ask for. */
        defaultPageSize: z.number().int().min(1),
        maxPageSize: z.number().int().min(1).max(1000),
        /**
         * Snapshots of the list kept after a newer one is ready: a cursor into a dropped
         * snapshot answers 410. Each snapshot holds one row per at-risk customer.
         */
        keepSnapshots: z.number().int().min(1).max(20),
        /** How often every worker process checks that the newest finished run has its snapshot. */
        checkIntervalSeconds: z.number().positive(),
        /** A run with chunks written that has not moved for this long no longer holds snapshots back. */
        stalledRunMinutes: z.number().positive(),
        /** Connections (per api process) of the list pages' own pool, whose prepared statements keep one generic plan. */
        pagePoolSize: z.number().int().min(1).max(100),
        /** Postgres work_mem of a CSV export's one query (joins and the sort of the whole list). */
        exportWorkMem: z.string().regex(/^\d+(kB|MB|GB)$/, 'expected a Postgres size such as 64MB'),
      })
      .strict()
      .refine((a) => a.defaultPageSize <= a.maxPageSize, { message: 'defaultPageSize must not exceed maxPageSize' }),
    customerPage: z
      .object({
        /** Weeks of the signal summary (weekly activity, complaints, spend), newest last. */
        weeks: z.number().int().min(1).max(260),
        /** Alerts and complaints listed on a customer page, newest first. */
        alerts: z.number().int().min(1).max(500),
        complaints: z.number().int().min(1).max(500),
      })
      .strict(),
    metrics: z
      .object({
        /** Period of /v1/metrics/summary when the request names none: the last N days. */
        defaultPeriodDays: z.number().int().min(1).max(3650),
      })
      .strict(),
  })
  .strict();
