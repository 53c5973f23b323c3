import { invalidRequest, locked, type ScalewayApiError, transientState } from './errors.js';

/** Server states (docs/scaleway-api.md §5.1); note the space in `stopped in place`. */
export const SCALEWAY_SERVER_STATES = [
  'running',
  'stopped',
  'stopped in place',
  'starting',
  'stopping',
  'locked',
] as const;
export type ScalewayServerState = (typeof SCALEWAY_SERVER_STATES)[number];

/** Server actions (docs/scaleway-api.md §5.1). */
export const SCALEWAY_SERVER_ACTIONS = [
  'poweron',
  'poweroff',
  'stop_in_place',
  'reboot',
  'backup',
  'terminate',
  'enable_routed_ip',
] as const;
export type ScalewayServerAction = (typeof SCALEWAY_SERVER_ACTIONS)[number];

/** Actions the API knows that the emulator refuses as not emulated. */
const NOT_EMULATED = ['backup', 'enable_routed_ip'] as const;
/** The actions the emulator carries out. */
export type ScalewayEmulatedAction = Exclude<ScalewayServerAction, (typeof NOT_EMULATED)[number]>;

/** Whether the emulator carries `action` out. */
export function isEmulatedAction(action: ScalewayServerAction): action is ScalewayEmulatedAction {
  return !(NOT_EMULATED as readonly string[]).includes(action);
}

/** `allowed_actions` per state, as observed (docs/scaleway-api.md §5.2). */
export const SCALEWAY_ALLOWED_ACTIONS: Readonly<
  Record<ScalewayServerState, readonly ScalewayServerAction[]>
> = {
  stopped: ['poweron', 'backup'],
  starting: ['stop_in_place', 'backup'],
  running: ['poweroff', 'terminate', 'reboot', 'stop_in_place', 'backup'],
  stopping: ['stop_in_place', 'backup'],
  'stopped in place': ['poweron', 'poweroff', 'terminate', 'reboot', 'backup'],
  // UNCONFIRMED (docs/scaleway-api.md §5.2): `locked` was never recorded; it allows nothing.
  locked: [],
};

/**
 * How long each transition step takes, in emulated milliseconds (realistic for the `realtime` clock: a poweron
 * reaches `running` after about 2 s and `booted` after about 2.7 s, a poweroff about 1.5 s, a terminate 1 s).
 */
export const SCALEWAY_TRANSITION_DELAYS = {
  /** starting/`allocating node` → starting/`provisioning node`. */
  allocateNode: 800,
  /** starting/`provisioning node` → running/`booting kernel`. */
  provisionNode: 1_200,
  /** running/`booting kernel` → running/`booted`. */
  bootKernel: 700,
  /** starting/`stopped in place` → running/`booting kernel`. */
  resumeInPlace: 1_000,
  /** stopping/`stopping` → stopped. §5.3: poweroff archives local disks, hence slower. */
  powerOff: 1_500,
  /** stopping/`stopping in place` → stopped in place. */
  stopInPlace: 1_000,
  /** stopping/`rebooting` → starting/`rebooting`. */
  rebootStop: 600,
  /** starting/`rebooting` → running/`booting kernel`. */
  rebootStart: 1_200,
  /** stopping/`terminating` → gone. §6.2: terminate skips the disk archiving. */
  terminate: 1_000,
} as const;

/** Side effects of reaching a phase, applied by the emulator's state. */
export type ScalewayPhaseEffect =
  /** A hypervisor is allocated: `location` is set. */
  | 'allocateNode'
  /** The server is up: a dynamic IPv4 is allocated when needed (§4.2), in state `pending`. */
  | 'attachDynamicIp'
  /** The network is configured: the dynamic IPv4 becomes `attached`. */
  | 'confirmDynamicIp'
  /** The server stopped: its dynamic IPv4 is released (§4.2, [DOCS] "released whenever the Instance stops"). */
  | 'releaseDynamicIp'
  /** The hypervisor slot is released: `location` goes back to null (§5.3). */
  | 'releaseNode'
  /** The server is deleted: l_ssd volumes go with it, SBS volumes and flexible IPs are detached (§6.2). */
  | 'terminate';

/** A state the server enters, with its `state_detail` (§5.3) and side effects. */
export interface ScalewayPhase {
  state: ScalewayServerState;
  detail: string;
  effects?: readonly ScalewayPhaseEffect[];
}

/** A phase entered after a delay. */
export interface ScalewayTransitionStep extends ScalewayPhase {
  delay: keyof typeof SCALEWAY_TRANSITION_DELAYS;
}

/** What an accepted action does: an immediate phase, then timed steps. */
export interface ScalewayActionPlan {
  immediate: ScalewayPhase;
  steps: readonly ScalewayTransitionStep[];
}

/** The `state_detail` of a server resting in a state (seeded, or at the end of a transition). */
export const SCALEWAY_RESTING_DETAIL: Readonly<Record<ScalewayServerState, string>> = {
  stopped: '',
  starting: 'provisioning node',
  running: 'booted',
  stopping: 'stopping',
  'stopped in place': 'stopped in place',
  locked: '',
};

const BOOT_STEPS: readonly ScalewayTransitionStep[] = [
  { delay: 'bootKernel', state: 'running', detail: 'booted', effects: ['confirmDynamicIp'] },
];

/** The transitions recorded in docs/scaleway-api.md §5.3, keyed by action and starting state. */
export function scalewayActionPlan(
  action: ScalewayEmulatedAction,
  from: ScalewayServerState,
): ScalewayActionPlan {
  switch (action) {
    case 'poweron':
      if (from === 'stopped in place') {
        return {
          immediate: { state: 'starting', detail: 'stopped in place' },
          steps: [
            {
              delay: 'resumeInPlace',
              state: 'running',
              detail: 'booting kernel',
              effects: ['attachDynamicIp'],
            },
            ...BOOT_STEPS,
          ],
        };
      }
      return {
        immediate: { state: 'starting', detail: 'allocating node' },
        steps: [
          {
            delay: 'allocateNode',
            state: 'starting',
            detail: 'provisioning node',
            effects: ['allocateNode'],
          },
          {
            delay: 'provisionNode',
            state: 'running',
            detail: 'booting kernel',
            effects: ['attachDynamicIp'],
          },
          ...BOOT_STEPS,
        ],
      };
    case 'poweroff':
      return {
        immediate: { state: 'stopping', detail: 'stopping' },
        steps: [
          { delay: 'powerOff', state: 'stopped', detail: '', effects: ['releaseDynamicIp', 'releaseNode'] },
        ],
      };
    case 'stop_in_place':
      return {
        immediate: { state: 'stopping', detail: 'stopping in place' },
        steps: [
          {
            delay: 'stopInPlace',
            state: 'stopped in place',
            detail: 'stopped in place',
            effects: ['allocateNode', 'releaseDynamicIp'],
          },
        ],
      };
    case 'reboot':
      return {
        immediate: { state: 'stopping', detail: 'rebooting' },
        steps: [
          { delay: 'rebootStop', state: 'starting', detail: 'rebooting' },
          { delay: 'rebootStart', state: 'running', detail: 'booting kernel', effects: ['attachDynamicIp'] },
          ...BOOT_STEPS,
        ],
      };
    case 'terminate':
      return {
        immediate: { state: 'stopping', detail: 'terminating' },
        steps: [{ delay: 'terminate', state: 'stopping', detail: 'terminating', effects: ['terminate'] }],
      };
    default: {
      const unreachable: never = action;
      throw new Error(`unknown action ${String(unreachable)}`);
    }
  }
}

/** The rest of the path for a server seeded in a transient state (so it settles like a real one). */
export function scalewaySeededSteps(state: ScalewayServerState): readonly ScalewayTransitionStep[] {
  if (state === 'starting') return scalewayActionPlan('poweron', 'stopped').steps.slice(1);
  if (state === 'stopping') return scalewayActionPlan('poweroff', 'running').steps;
  return [];
}

/**
 * The error for an action the state does not allow (docs/scaleway-api.md §5.5): 400 `invalid_request_error` from a
 * stable state, with the recorded message "server should be running" where the action needs a running server.
 */
export function scalewayActionRefusal(
  action: ScalewayServerAction,
  state: ScalewayServerState,
  serverId: string,
): ScalewayApiError {
  // UNCONFIRMED (docs/scaleway-api.md §5.2, §7): a locked server answers with the 423 `locked` body.
  if (state === 'locked') return locked('instance_server', serverId);
  // UNCONFIRMED (docs/scaleway-api.md §5.5): Instance is not recorded answering `transient_state` for actions during
  // starting/stopping; the platform-wide 409 is modelled so clients re-poll.
  if (state === 'starting' || state === 'stopping') return transientState('instance_server', serverId, state);
  // UNCONFIRMED (docs/scaleway-api.md §5.5): only terminate-on-stopped is recorded; poweron on a running server
  // mirrors it.
  if (action === 'poweron') return invalidRequest('server should be stopped');
  return invalidRequest('server should be running');
}
