import { z } from 'zod';

export const byteSize = z.string().regex(/^\d+(b|kb|mb|gb)$/i, 'expected a size such as 512kb or 10mb');

const origin = z.string().regex(/^https?:\/\/[^/\s?#]+$/, 'expected an origin such as https://crm.example.com (scheme and host, no path)');

/** Schema of the http section of config/default.yaml: the server, its limits, CORS and the queue view. */
export const httpSchema = z
  .object({
    port: z.number().int().min(0).max(65535),
    jsonBodyLimit: byteSize,
    streamBodyLimit: byteSize,
    requestTimeoutSeconds: z.number().int().min(0),
    /** Seconds a client may take to send a request's headers (Node's server.headersTimeout). */
    headersTimeoutSeconds: z.number().int().min(1),
    /** Seconds between SIGTERM and closing the port: readiness answers 503 while requests still get answers. */
    shutdownDrainSeconds: z.number().min(0).max(300),
    rateLimit: z
      .object({
        /** 0 turns rate limiting off. */
        requestsPerWindow: z.number().int().min(0),
        windowSeconds: z.number().int().min(1),
      })
      .strict(),
    cors: z.object({ origins: z.array(origin) }).strict(),
    queueView: z.object({ sessionTtlSeconds: z.number().int().min(60).max(86_400) }).strict(),
  })
  .strict();

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Bytes in a validated size such as "10mb" (binary units, as Express reads jsonBodyLimit). */
export function byteSizeToBytes(size: string): number {
  const match = /^(\d+)(b|kb|mb|gb)$/i.exec(size);
  if (!match) throw new RangeError(`not a byte size: ${size}`);
  return Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number);
}
