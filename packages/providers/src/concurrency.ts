/**
 * Map `items` through `task` with at most `limit` tasks in flight; results keep the input order. The first
 * failure rejects the whole call (tasks already running finish on their own; no new one starts).
 */
export async function mapConcurrent<Item, Result>(
  items: readonly Item[],
  limit: number,
  task: (item: Item, index: number) => Promise<Result>,
): Promise<Result[]> {
  const results = new Array<Result>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as Item, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A slot held by one request; `release` is idempotent. */
export interface Slot {
  release(): void;
}

interface Holder {
  expiresAt: number;
  released: boolean;
}

interface Waiter {
  leaseMs: number;
  grant: (slot: Slot) => void;
}

/**
 * At most `limit` requests at once, the rest queued in order. A slot is leased for at most `leaseMs` (the holder's
 * own timeout bounds it, plus a margin): a holder that neither finished nor released by then belongs to a context
 * that is gone (a Workers request that ended mid-request cancels its continuations), and its slot is taken back,
 * so one dead request can never stall every later one.
 */
export class ConnectionSlots {
  readonly #limit: number;
  readonly #holders = new Set<Holder>();
  readonly #waiters: Waiter[] = [];
  /**
   * The waiters of each caller's signal, behind one abort listener per signal: a call that queues many requests
   * (a listing over every zone) adds one listener, not one per request (platforms warn past ten).
   */
  readonly #bySignal = new WeakMap<AbortSignal, { waiters: Set<() => void>; fire: () => void }>();
  #reclaimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Wait for a slot; rejects with the signal's reason, untouched, if it fires while queued. */
  acquire(leaseMs: number, signal: AbortSignal | undefined): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#reclaimExpired();
    this.#grant();
    if (this.#holders.size < this.#limit && this.#waiters.length === 0)
      return Promise.resolve(this.#hold(leaseMs));
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        leaseMs,
        grant: (slot) => {
          if (signal !== undefined) this.#unwatch(signal, onAbort);
          resolve(slot);
        },
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        this.#scheduleReclaim();
        reject(signal?.reason);
      };
      if (signal !== undefined) this.#watch(signal, onAbort);
      this.#waiters.push(waiter);
      this.#scheduleReclaim();
    });
  }

  #watch(signal: AbortSignal, onAbort: () => void): void {
    let watched = this.#bySignal.get(signal);
    if (watched === undefined) {
      const waiters = new Set<() => void>();
      const fire = () => {
        this.#bySignal.delete(signal);
        for (const abort of waiters) abort();
      };
      watched = { waiters, fire };
      this.#bySignal.set(signal, watched);
      signal.addEventListener('abort', fire, { once: true });
    }
    watched.waiters.add(onAbort);
  }

  #unwatch(signal: AbortSignal, onAbort: () => void): void {
    const watched = this.#bySignal.get(signal);
    if (watched === undefined) return;
    watched.waiters.delete(onAbort);
    if (watched.waiters.size > 0) return;
    this.#bySignal.delete(signal);
    signal.removeEventListener('abort', watched.fire);
  }

  /** Requests holding a slot now. */
  get active(): number {
    return this.#holders.size;
  }

  /** Requests waiting for one. */
  get queued(): number {
    return this.#waiters.length;
  }

  #hold(leaseMs: number): Slot {
    const holder: Holder = { expiresAt: Date.now() + leaseMs, released: false };
    this.#holders.add(holder);
    return {
      release: () => {
        if (holder.released) return;
        holder.released = true;
        this.#holders.delete(holder);
        this.#grant();
      },
    };
  }

  #grant(): void {
    while (this.#holders.size < this.#limit) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) break;
      waiter.grant(this.#hold(waiter.leaseMs));
    }
    this.#scheduleReclaim();
  }

  #reclaimExpired(): void {
    const now = Date.now();
    for (const holder of this.#holders) {
      if (holder.expiresAt <= now) {
        holder.released = true;
        this.#holders.delete(holder);
      }
    }
  }

  /** While anyone waits, wake up when the earliest lease runs out. The timer runs in a waiter's own context. */
  #scheduleReclaim(): void {
    if (this.#reclaimTimer !== undefined) clearTimeout(this.#reclaimTimer);
    this.#reclaimTimer = undefined;
    if (this.#waiters.length === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const holder of this.#holders) earliest = Math.min(earliest, holder.expiresAt);
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.#reclaimTimer = setTimeout(
      () => {
        this.#reclaimTimer = undefined;
        this.#reclaimExpired();
        this.#grant();
      },
      Math.max(earliest - Date.now(), 0),
    );
  }
}
