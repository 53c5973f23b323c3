import type { Context } from 'hono';
import type { ScalewayBlockVolumes } from './block-volumes.js';
import type { ScalewayZone } from './catalog.js';
import { SCALEWAY_ZONE_IDS } from './catalog.js';
import { invalidRequest, notFound } from './errors.js';
import type { ScalewayIps } from './ips.js';
import type { ScalewayLocalVolumes } from './local-volumes.js';
import type { ScalewayServers } from './server-store.js';
import type { ScalewayServerVolumes } from './server-volumes.js';
import type { ScalewayState } from './state.js';

/** The request body, read once by the emulator base and handed to the routes. */
export interface RouteBindings {
  body: string;
}
export type RouteContext = Context<{ Bindings: RouteBindings }>;

/** The shared state and the resource modules the routes answer from. */
export interface ScalewayResources {
  state: ScalewayState;
  servers: ScalewayServers;
  serverVolumes: ScalewayServerVolumes;
  localVolumes: ScalewayLocalVolumes;
  blockVolumes: ScalewayBlockVolumes;
  ips: ScalewayIps;
}

export function zoneParam(context: RouteContext): ScalewayZone {
  const zone = context.req.param('zone') ?? '';
  // UNCONFIRMED (docs/scaleway-api.md §13): an unknown zone is answered with the modern not_found body.
  if (!(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone)) throw notFound('zone', zone);
  return zone as ScalewayZone;
}

/** The JSON request body, or `undefined` when empty. */
export function parseJson(context: RouteContext): unknown {
  const text = context.env.body;
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // UNCONFIRMED (docs/scaleway-api.md §7): the answer to malformed JSON was not recorded.
    throw invalidRequest('the request body is not valid JSON');
  }
}
