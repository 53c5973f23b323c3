import type { Hono } from 'hono';
import type { ScalewayZone } from './catalog.js';
import { notFound } from './errors.js';
import { MODERN_PAGING, pageOf, readPaging } from './pagination.js';
import { type BlockApiVersion, blockVolumeJson, emptyResponse, jsonResponse } from './render.js';
import {
  parseJson,
  type RouteBindings,
  type RouteContext,
  type ScalewayResources,
  zoneParam,
} from './route-context.js';

/**
 * Block Storage volumes (docs/scaleway-api.md §15.1): bare objects, the list total in the body, no pagination
 * headers; `v1` and the `v1alpha1` the CLI still calls, from one store.
 */
export function registerBlockRoutes(
  app: Hono<{ Bindings: RouteBindings }>,
  resources: ScalewayResources,
): void {
  const { blockVolumes } = resources;

  app.get('/block/:version/zones/:zone/volumes', (context) => {
    const { version, zone } = blockParams(context);
    const query = new URL(context.req.url).searchParams;
    const paging = readPaging(query, MODERN_PAGING);
    const volumes = blockVolumes.list(zone, query);
    return jsonResponse(200, {
      volumes: pageOf(volumes, paging).map((volume) => blockVolumeJson(volume, version)),
      total_count: volumes.length,
    });
  });

  app.post('/block/:version/zones/:zone/volumes', (context) => {
    const { version, zone } = blockParams(context);
    const volume = blockVolumes.create(zone, parseJson(context));
    // §15.1: 200 (not 201), no `Location`.
    return jsonResponse(200, blockVolumeJson(volume, version));
  });

  app.get('/block/:version/zones/:zone/volumes/:id', (context) => {
    const { version, zone } = blockParams(context);
    const volume = blockVolumes.volume(zone, context.req.param('id'), 'read');
    return jsonResponse(200, blockVolumeJson(volume, version));
  });

  app.patch('/block/:version/zones/:zone/volumes/:id', (context) => {
    const { version, zone } = blockParams(context);
    const volume = blockVolumes.update(zone, context.req.param('id'), parseJson(context));
    return jsonResponse(200, blockVolumeJson(volume, version));
  });

  app.delete('/block/:version/zones/:zone/volumes/:id', (context) => {
    blockVolumes.delete(blockParams(context).zone, context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });
}

function blockParams(context: RouteContext): { version: BlockApiVersion; zone: ScalewayZone } {
  const version = context.req.param('version');
  if (version !== 'v1' && version !== 'v1alpha1') {
    throw notFound('route', new URL(context.req.url).pathname);
  }
  return { version, zone: zoneParam(context) };
}
