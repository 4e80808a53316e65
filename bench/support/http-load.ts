/**
 * Concurrent HTTP load with exact latency percentiles: autocannon drives the connections,
 * and every response's time is recorded (autocannon's own summary has no p95).
 */
import autocannon from 'autocannon';

export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  non2xx: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadOptions {
  name: string;
  /** One per api process: the connections are shared out among them, as a load balancer would. */
  baseUrls: readonly string[];
  key: string;
  /** Paths to request, picked at random (e.g. different customers or cursors). */
  paths: readonly string[];
  connections: number;
  seconds: number;
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export async function load(o: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  let non2xx = 0;
  const pick = () => o.paths[Math.floor(Math.random() * o.paths.length)] as string;
  const run = (url: string, connections: number) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url,
          connections,
          duration: o.seconds,
          headers: { authorization: `Bearer ${o.key}` },
          requests: [{ method: 'GET', setupRequest: (req: autocannon.Request) => ({ ...req, path: pick() }) }],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        times.push(responseTime);
        if (statusCode < 200 || statusCode >= 300) non2xx++;
      });
    });
  const share = (i: number) => Math.floor(o.connections / o.baseUrls.length) + (i < o.connections % o.baseUrls.length ? 1 : 0);
  const started = Date.now();
  const results = await Promise.all(o.baseUrls.map((url, i) => run(url, share(i))));
  const seconds = (Date.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    name: o.name,
    requests: times.length,
    errors: results.reduce((s, r) => s + r.errors + r.timeouts, 0),
    non2xx,
    perSecond: times.length / seconds,
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    p99: quantile(times, 0.99),
    max: times[times.length - 1] ?? NaN,
  };
}
