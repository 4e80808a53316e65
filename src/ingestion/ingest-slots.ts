/** A counting semaphore: `tryTake` for refusing at once, `take` for waiting in turn (FIFO). */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.used;
  }

  /** A release function, or null when every slot is taken. */
  tryTake(): (() => void) | null {
    if (this.used >= this.size) return null;
    this.used++;
    return this.releaser();
  }

  /** Waits for a slot; resolves with its release function. */
  async take(): Promise<() => void> {
    const now = this.tryTake();
    if (now) return now;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser(); // the slot was handed over by release(), still counted
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}
