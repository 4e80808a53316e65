export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls probe every 50 ms until it gives a truthy value, which it returns; fails after timeoutMs. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
