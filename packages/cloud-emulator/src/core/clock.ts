/**
 * How state transitions (booting, stopping…) advance:
 * - `instant`: each step applies as soon as it is scheduled, so a transient state is never observed.
 * - `manual`: steps wait in virtual time until the test calls `advance(ms)` or `settle()` ("frozen" until then).
 * - `realtime`: steps apply after their real delay divided by `speed` (1 = realistic; 100 = a hundred times faster).
 */
export type ClockMode = { mode: 'instant' } | { mode: 'manual' } | { mode: 'realtime'; speed?: number };

interface PendingStep {
  dueAt: number;
  order: number;
  apply: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** Drives an emulator's asynchronous transitions according to a {@link ClockMode}. */
export class TransitionClock {
  #mode: ClockMode;
  #virtualNow = 0;
  #order = 0;
  #pending: PendingStep[] = [];

  constructor(mode: ClockMode = { mode: 'instant' }) {
    this.#mode = mode;
  }

  get mode(): ClockMode {
    return this.#mode;
  }

  /** Switch modes. Steps already pending keep their virtual due time; in realtime they are re-armed. */
  setMode(mode: ClockMode): void {
    for (const step of this.#pending) clearTimeout(step.timer);
    this.#mode = mode;
    if (mode.mode === 'instant') {
      this.settle();
      return;
    }
    if (mode.mode === 'realtime') for (const step of this.#pending) this.#arm(step);
  }

  /** Run `apply` after `delayMs` of (emulated) time. */
  schedule(delayMs: number, apply: () => void): void {
    if (this.#mode.mode === 'instant') {
      apply();
      return;
    }
    const step: PendingStep = { dueAt: this.#virtualNow + delayMs, order: this.#order++, apply };
    this.#pending.push(step);
    if (this.#mode.mode === 'realtime') this.#arm(step);
  }

  /** Move virtual time forward by `ms`, applying every step that falls due (including ones they schedule). */
  advance(ms: number): number {
    const target = this.#virtualNow + ms;
    let applied = 0;
    for (let step = this.#nextDue(target); step !== undefined; step = this.#nextDue(target)) {
      this.#virtualNow = Math.max(this.#virtualNow, step.dueAt);
      this.#run(step);
      applied++;
    }
    this.#virtualNow = target;
    return applied;
  }

  /** Apply every pending step, in due order, until nothing is left. Returns how many were applied. */
  settle(): number {
    let applied = 0;
    for (let step = this.#nextDue(Number.POSITIVE_INFINITY); step !== undefined; ) {
      this.#virtualNow = Math.max(this.#virtualNow, step.dueAt);
      this.#run(step);
      applied++;
      step = this.#nextDue(Number.POSITIVE_INFINITY);
    }
    return applied;
  }

  /** Steps not yet applied. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Drop every pending step without applying it. */
  clear(): void {
    for (const step of this.#pending) clearTimeout(step.timer);
    this.#pending = [];
  }

  #arm(step: PendingStep): void {
    const speed = this.#mode.mode === 'realtime' ? (this.#mode.speed ?? 1) : 1;
    const delay = Math.max(step.dueAt - this.#virtualNow, 0) / speed;
    step.timer = setTimeout(() => {
      this.#virtualNow = Math.max(this.#virtualNow, step.dueAt);
      this.#run(step);
    }, delay);
    step.timer.unref?.();
  }

  #nextDue(limit: number): PendingStep | undefined {
    let best: PendingStep | undefined;
    for (const step of this.#pending) {
      if (step.dueAt > limit) continue;
      if (
        best === undefined ||
        step.dueAt < best.dueAt ||
        (step.dueAt === best.dueAt && step.order < best.order)
      ) {
        best = step;
      }
    }
    return best;
  }

  #run(step: PendingStep): void {
    const index = this.#pending.indexOf(step);
    if (index === -1) return;
    this.#pending.splice(index, 1);
    clearTimeout(step.timer);
    step.apply();
  }
}
