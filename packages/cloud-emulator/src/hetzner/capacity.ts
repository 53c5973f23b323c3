import { type HetznerFailureHandle, HetznerFailureRules } from './rules.js';

/** A reason a server create fails for capacity, as {@link HetznerCapacityFailureRule} selects it. */
export type HetznerCapacityFailure = 'resource_unavailable' | 'placement_error' | 'unsupported_location';

/** Makes matching `POST /servers` fail for capacity instead of creating anything. */
export interface HetznerCapacityFailureRule {
  /** Location name to match, e.g. `fsn1`; any when absent. */
  location?: string;
  /** Server type name to match, e.g. `cx23`; any when absent. */
  serverType?: string;
  /** Which error the create gets; see {@link HETZNER_CAPACITY_ERRORS}. */
  failure: HetznerCapacityFailure;
  /** How many creates fail before the rule is spent. Default: every one until removed. */
  times?: number;
}

/** A registered capacity failure; `hits` counts the creates it failed. */
export type HetznerCapacityFailureHandle = HetznerFailureHandle;

/** The status and error body each capacity failure answers with. */
export const HETZNER_CAPACITY_ERRORS: Readonly<
  Record<
    HetznerCapacityFailure,
    { readonly status: 412 | 422; readonly code: string; readonly message: string }
  >
> = {
  resource_unavailable: {
    status: 412,
    code: 'resource_unavailable',
    message: 'the requested resource is currently unavailable',
  },
  // The message recorded from production.
  placement_error: { status: 412, code: 'placement_error', message: 'error during placement' },
  // Production answered 422 with this message for a server type sold out in a location.
  // UNCONFIRMED: the code `invalid_input` is inferred, not recorded.
  unsupported_location: {
    status: 422,
    code: 'invalid_input',
    message: 'unsupported location for server type',
  },
};

/** The capacity rules in force, matched in the order they were added. */
export class HetznerCapacityPlan extends HetznerFailureRules<HetznerCapacityFailureRule> {
  /** The failure for a create of `serverType` in `location`, if a rule with times left matches (counting the hit). */
  failureFor(location: string, serverType: string): HetznerCapacityFailure | undefined {
    return this.take(
      (rule) =>
        (rule.location === undefined || rule.location === location) &&
        (rule.serverType === undefined || rule.serverType === serverType),
    )?.failure;
  }
}
