/** A registered failure rule; `hits` counts the requests or actions it failed. */
export interface HetznerFailureHandle {
  readonly hits: number;
  /** Stop the rule from failing anything further. */
  remove(): void;
}

interface ActiveRule<R> {
  readonly rule: Readonly<R>;
  hits: number;
}

/** Failure rules in force, matched in the order they were added; each fails `times` times, or until removed. */
export class HetznerFailureRules<R extends { readonly times?: number }> {
  #rules: ActiveRule<R>[] = [];

  add(rule: R): HetznerFailureHandle {
    const active: ActiveRule<R> = { rule: { ...rule }, hits: 0 };
    this.#rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        this.#rules = this.#rules.filter((candidate) => candidate !== active);
      },
    };
  }

  clear(): void {
    this.#rules = [];
  }

  /** The first rule with times left that `matches` accepts, counting the hit. */
  take(matches: (rule: Readonly<R>) => boolean): Readonly<R> | undefined {
    for (const active of this.#rules) {
      if (active.rule.times !== undefined && active.hits >= active.rule.times) continue;
      if (!matches(active.rule)) continue;
      active.hits++;
      return active.rule;
    }
    return undefined;
  }
}
