/** A fault to inject into matching requests. */
export interface FaultRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Path to match: a string matches the exact pathname or, ending in `*`, a prefix; a RegExp is tested. */
  path?: string | RegExp;
  /** How many times the fault fires before it is spent. Default: every time. */
  times?: number;
  /** Chance in [0, 1] that a matching request is hit, drawn from the emulator's seeded random source. */
  probability?: number;
  /** Answer with this status instead of the real response. */
  status?: number;
  /** Body of that answer: a string is sent as is, anything else as JSON. Default: empty. */
  body?: unknown;
  /** Headers of that answer. */
  headers?: Record<string, string>;
  /** Delay the answer by this many milliseconds. */
  delayMs?: number;
  /** Close the connection without answering. */
  drop?: boolean;
  /**
   * `before` (default): the request never reaches the emulated API (a gateway error, a connection dropped on
   * the way in). `after`: the API processes it and changes state, then the answer is delayed, replaced or dropped
   * (a response lost on the way out).
   */
  phase?: 'before' | 'after';
  /** A name for reports. */
  label?: string;
  /**
   * A fault that comes back: once it fires, it fires again on the next `min`–`max` requests with the same method
   * and path (how many drawn from the seeded random source), whatever `probability` says; `times` still caps it.
   */
  repeat?: { min: number; max: number };
}

/** A registered fault; `hits` counts how often it fired. */
export interface FaultHandle {
  readonly rule: Readonly<FaultRule>;
  readonly hits: number;
  /** Stop the fault from firing again. */
  remove(): void;
}

interface ActiveFault {
  rule: FaultRule;
  hits: number;
  removed: boolean;
  /** Repeats still owed, by `METHOD path`. */
  repeats: Map<string, number>;
}

/** The rules in force, matched in the order they were added; the first that fires wins. */
export class FaultPlan {
  #faults: ActiveFault[] = [];
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  add(rule: FaultRule): FaultHandle {
    const repeat = rule.repeat;
    if (
      repeat !== undefined &&
      (!Number.isInteger(repeat.min) ||
        !Number.isInteger(repeat.max) ||
        repeat.min < 0 ||
        repeat.max < repeat.min)
    ) {
      throw new Error('repeat needs integers 0 <= min <= max');
    }
    const fault: ActiveFault = { rule, hits: 0, removed: false, repeats: new Map() };
    this.#faults.push(fault);
    return {
      rule,
      get hits() {
        return fault.hits;
      },
      remove: () => {
        fault.removed = true;
        this.#faults = this.#faults.filter((candidate) => candidate !== fault);
      },
    };
  }

  clear(): void {
    for (const fault of this.#faults) fault.removed = true;
    this.#faults = [];
  }

  /** The rule that fires for this request, if any (counting the hit). */
  take(method: string, pathname: string): FaultRule | undefined {
    for (const fault of this.#faults) {
      const { rule } = fault;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path !== undefined && !matchesPath(rule.path, pathname)) continue;
      if (rule.times !== undefined && fault.hits >= rule.times) continue;
      const key = `${method.toUpperCase()} ${pathname}`;
      const owed = fault.repeats.get(key) ?? 0;
      if (owed > 0) {
        if (owed === 1) fault.repeats.delete(key);
        else fault.repeats.set(key, owed - 1);
      } else {
        if (rule.probability !== undefined && this.#random() >= rule.probability) continue;
        if (rule.repeat !== undefined) {
          const { min, max } = rule.repeat;
          const again = min + Math.floor(this.#random() * (max - min + 1));
          if (again > 0) fault.repeats.set(key, again);
        }
      }
      fault.hits++;
      return rule;
    }
    return undefined;
  }
}

function matchesPath(pattern: string | RegExp, pathname: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(pathname);
  if (pattern.endsWith('*')) return pathname.startsWith(pattern.slice(0, -1));
  return pathname === pattern;
}
