import { type Context, Hono } from 'hono';
import type { ScalewayZone } from './catalog.js';
import {
  catalogImage,
  instanceImageJson,
  localImageJson,
  marketplaceImageJson,
  SCALEWAY_CATALOG_IMAGES,
  SCALEWAY_MARKETPLACE_LABELS,
  SCALEWAY_PUBLIC_IMAGES_ORGANIZATION,
  SCALEWAY_ZONE_IDS,
  scalewayServerTypesIn,
  serverTypeJson,
} from './catalog.js';
import {
  deniedAuthentication,
  invalidArguments,
  invalidRequest,
  notFound,
  ScalewayApiError,
} from './errors.js';
import {
  INSTANCE_PAGING,
  instanceListHeaders,
  MODERN_PAGING,
  pageOf,
  readPaging,
  type ScalewayPaging,
} from './pagination.js';
import {
  actionTaskJson,
  blockVolumeJson,
  emptyResponse,
  errorResponse,
  flexibleIpJson,
  jsonResponse,
  localVolumeJson,
  projectJson,
  serverJson,
} from './render.js';
import { splitList } from './request-body.js';
import { SCALEWAY_ALLOWED_ACTIONS } from './servers.js';
import type { ScalewayState } from './state.js';

/** The request body, read once by the emulator base and handed to the routes. */
interface RouteBindings {
  body: string;
}
type RouteContext = Context<{ Bindings: RouteBindings }>;

const LOCAL_IMAGE_TYPES = ['instance_local', 'instance_sbs'];
const LOCAL_IMAGE_ORDERS = ['type_asc', 'type_desc', 'created_at_asc', 'created_at_desc'];

/** The Instance, Block, Marketplace and Account routes over one {@link ScalewayState}. */
export function createScalewayRouter(
  state: ScalewayState,
  secretKey: string,
): Hono<{ Bindings: RouteBindings }> {
  const app = new Hono<{ Bindings: RouteBindings }>();

  app.onError((error) => {
    if (error instanceof ScalewayApiError) return errorResponse(error);
    return jsonResponse(500, { type: 'internal_error', message: error.message });
  });
  // UNCONFIRMED (docs/scaleway-api.md §13): the gateway's answer to a path no API serves was not recorded.
  app.notFound((context) => errorResponse(notFound('route', new URL(context.req.url).pathname)));

  // §2.1, §2.3: every call needs `X-Auth-Token: <secret key>`.
  app.use('*', async (context, next) => {
    if (context.req.header('x-auth-token') !== secretKey) throw deniedAuthentication();
    await next();
  });

  // ---- Instance: servers (§3–§6, §8) ----

  app.get('/instance/v1/zones/:zone/servers', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const paging = readPaging(url.searchParams, INSTANCE_PAGING);
    const servers = state.listServers(zone, url.searchParams);
    // §8.1: the total is only in `X-Total-Count`; the body has no `total_count`.
    return jsonResponse(
      200,
      { servers: pageOf(servers, paging).map((server) => serverJson(server, state)) },
      instanceListHeaders('/servers', url.search, paging, servers.length),
    );
  });

  app.post('/instance/v1/zones/:zone/servers', (context) => {
    const zone = zoneParam(context);
    const server = state.createServer(zone, parseJson(context));
    const origin = new URL(context.req.url).origin;
    // §4.2: 201 with an absolute `Location` on the host the request came to.
    return jsonResponse(
      201,
      { server: serverJson(server, state) },
      { Location: `${origin}/instance/v1/zones/${zone}/servers/${server.id}` },
    );
  });

  app.get('/instance/v1/zones/:zone/servers/:id', (context) => {
    const server = state.server(zoneParam(context), context.req.param('id'), 'read');
    return jsonResponse(200, { server: serverJson(server, state) });
  });

  app.patch('/instance/v1/zones/:zone/servers/:id', (context) => {
    const server = state.updateServer(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { server: serverJson(server, state) });
  });

  app.delete('/instance/v1/zones/:zone/servers/:id', (context) => {
    state.deleteServer(zoneParam(context), context.req.param('id'));
    // §6.1: 204, empty body, yet labelled JSON.
    return emptyResponse(204, 'application/json');
  });

  app.get('/instance/v1/zones/:zone/servers/:id/action', (context) => {
    const server = state.server(zoneParam(context), context.req.param('id'), 'read');
    return jsonResponse(200, { actions: SCALEWAY_ALLOWED_ACTIONS[server.state] });
  });

  app.post('/instance/v1/zones/:zone/servers/:id/action', (context) => {
    const zone = zoneParam(context);
    const id = context.req.param('id');
    const startedAt = state.now().text;
    const server = state.performAction(zone, id, parseJson(context));
    // §5.4: 202 (recordings win over the OpenAPI file's 200).
    return jsonResponse(202, actionTaskJson(server, startedAt));
  });

  // ---- Instance: user data (§9) ----

  app.get('/instance/v1/zones/:zone/servers/:id/user_data', (context) => {
    const keys = state.listUserData(zoneParam(context), context.req.param('id'));
    return jsonResponse(200, { user_data: keys });
  });

  app.get('/instance/v1/zones/:zone/servers/:id/user_data/:key', (context) => {
    const value = state.getUserData(zoneParam(context), context.req.param('id'), context.req.param('key'));
    return new Response(value, { status: 200, headers: { 'Content-Type': 'text/plain' } });
  });

  app.patch('/instance/v1/zones/:zone/servers/:id/user_data/:key', (context) => {
    const zone = zoneParam(context);
    const contentType = context.req.header('content-type') ?? '';
    if (/json/i.test(contentType)) {
      // UNCONFIRMED (docs/scaleway-api.md §9): the API takes the raw value as text/plain; a JSON-encoded value would be
      // stored verbatim, quotes and escapes included, so the emulator refuses it (400, legacy Instance type)
      // to catch clients that send JSON.
      throw invalidRequest('user data must be sent as the raw value with Content-Type: text/plain');
    }
    state.setUserData(zone, context.req.param('id'), context.req.param('key'), context.env.body);
    return emptyResponse(204, 'text/plain');
  });

  app.delete('/instance/v1/zones/:zone/servers/:id/user_data/:key', (context) => {
    state.deleteUserData(zoneParam(context), context.req.param('id'), context.req.param('key'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Instance: images and products (§8.2, §10.3, §11) ----

  app.get('/instance/v1/zones/:zone/images', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const query = url.searchParams;
    const paging = readPaging(query, INSTANCE_PAGING);
    const name = query.get('name')?.toLowerCase();
    const arch = query.get('arch');
    const isPublic = query.get('public');
    const owner = query.get('project') ?? query.get('organization');
    const tags = splitList(query.get('tags'));
    const images = SCALEWAY_CATALOG_IMAGES.filter(
      (image) =>
        image.zone === zone &&
        (name === undefined || image.name.toLowerCase().includes(name)) &&
        (arch === null || image.arch === arch) &&
        (isPublic === null || isPublic === 'true') &&
        (owner === null || owner === SCALEWAY_PUBLIC_IMAGES_ORGANIZATION) &&
        tags.length === 0,
    );
    return jsonResponse(
      200,
      { images: pageOf(images, paging).map(instanceImageJson) },
      instanceListHeaders('/images', url.search, paging, images.length),
    );
  });

  app.get('/instance/v1/zones/:zone/images/:id', (context) => {
    const zone = zoneParam(context);
    const id = context.req.param('id');
    const image = catalogImage(id.toLowerCase());
    if (image === undefined || image.zone !== zone) throw notFound('instance_image', id);
    return jsonResponse(200, { image: instanceImageJson(image) });
  });

  app.get('/instance/v1/zones/:zone/products/servers', (context) => {
    const zone = zoneParam(context);
    return productsPage(context, '/products/servers', (name) => {
      const spec = scalewayServerTypesIn(zone).find((candidate) => candidate.name === name);
      return spec === undefined ? {} : serverTypeJson(spec, zone);
    });
  });

  app.get('/instance/v1/zones/:zone/products/servers/availability', (context) => {
    const zone = zoneParam(context);
    return productsPage(context, '/products/servers/availability', (name) => ({
      availability: state.availability(zone, name),
    }));
  });

  // ---- Instance: local volumes (§6.1) ----

  app.get('/instance/v1/zones/:zone/volumes', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const query = url.searchParams;
    const paging = readPaging(query, INSTANCE_PAGING);
    const project = query.get('project');
    const name = query.get('name');
    const volumeType = query.get('volume_type');
    const volumes = [...state.volumes.values()].filter(
      (volume) =>
        volume.zone === zone &&
        volume.volumeType === 'l_ssd' &&
        state.canAccess(volume.project) &&
        (project === null || volume.project === project) &&
        (name === null || volume.name.includes(name)) &&
        (volumeType === null || volumeType === 'l_ssd'),
    );
    return jsonResponse(
      200,
      { volumes: pageOf(volumes, paging).map((volume) => localVolumeJson(volume, state)) },
      instanceListHeaders('/volumes', url.search, paging, volumes.length),
    );
  });

  app.get('/instance/v1/zones/:zone/volumes/:id', (context) => {
    const volume = state.volume(zoneParam(context), context.req.param('id'), 'l_ssd', 'read');
    return jsonResponse(200, { volume: localVolumeJson(volume, state) });
  });

  app.delete('/instance/v1/zones/:zone/volumes/:id', (context) => {
    state.deleteLocalVolume(zoneParam(context), context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Instance: flexible IPs (§1, §6) ----

  app.get('/instance/v1/zones/:zone/ips', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const query = url.searchParams;
    const paging = readPaging(query, INSTANCE_PAGING);
    const project = query.get('project');
    const tags = splitList(query.get('tags'));
    const ips = [...state.ips.values()].filter(
      (ip) =>
        ip.zone === zone &&
        !ip.dynamic &&
        state.canAccess(ip.project) &&
        (project === null || ip.project === project) &&
        tags.every((tag) => ip.tags.includes(tag)),
    );
    return jsonResponse(
      200,
      { ips: pageOf(ips, paging).map((ip) => flexibleIpJson(ip, state)) },
      instanceListHeaders('/ips', url.search, paging, ips.length),
    );
  });

  app.post('/instance/v1/zones/:zone/ips', (context) => {
    const ip = state.createIp(zoneParam(context), parseJson(context));
    return jsonResponse(201, { ip: flexibleIpJson(ip, state) });
  });

  app.get('/instance/v1/zones/:zone/ips/:id', (context) => {
    const ip = state.ip(zoneParam(context), context.req.param('id'), 'read');
    return jsonResponse(200, { ip: flexibleIpJson(ip, state) });
  });

  app.patch('/instance/v1/zones/:zone/ips/:id', (context) => {
    const ip = state.updateIp(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { ip: flexibleIpJson(ip, state) });
  });

  app.delete('/instance/v1/zones/:zone/ips/:id', (context) => {
    state.deleteIp(zoneParam(context), context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Block Storage (§1, §6): bare objects; the CLI still calls v1alpha1 ----

  app.get('/block/:version/zones/:zone/volumes', (context) => {
    const zone = blockZoneParam(context);
    const query = new URL(context.req.url).searchParams;
    const paging = readPaging(query, MODERN_PAGING);
    const project = query.get('project_id');
    const name = query.get('name');
    const resource = query.get('product_resource_id');
    const volumes = [...state.volumes.values()].filter(
      (volume) =>
        volume.zone === zone &&
        volume.volumeType === 'sbs_volume' &&
        state.canAccess(volume.project) &&
        (project === null || volume.project === project) &&
        (name === null || volume.name.includes(name)) &&
        (resource === null || volume.serverId === resource),
    );
    return jsonResponse(200, {
      volumes: pageOf(volumes, paging).map(blockVolumeJson),
      total_count: volumes.length,
    });
  });

  app.get('/block/:version/zones/:zone/volumes/:id', (context) => {
    const volume = state.volume(blockZoneParam(context), context.req.param('id'), 'sbs_volume', 'read');
    return jsonResponse(200, blockVolumeJson(volume));
  });

  app.delete('/block/:version/zones/:zone/volumes/:id', (context) => {
    state.deleteBlockVolume(blockZoneParam(context), context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Marketplace v2 (§10) ----

  app.get('/marketplace/v2/local-images', (context) => {
    const query = new URL(context.req.url).searchParams;
    const paging = readPaging(query, MODERN_PAGING);
    const label = query.get('image_label');
    const imageId = query.get('image_id');
    const zone = query.get('zone');
    const arch = query.get('arch');
    const type = query.get('type');
    const order = query.get('order_by') ?? 'type_asc';
    if (type !== null && type !== 'unknown_type' && !LOCAL_IMAGE_TYPES.includes(type)) {
      throw invalidArguments([
        { argument_name: 'type', reason: 'constraint', help_message: `unknown type ${type}` },
      ]);
    }
    if (!LOCAL_IMAGE_ORDERS.includes(order)) {
      throw invalidArguments([
        {
          argument_name: 'order_by',
          reason: 'constraint',
          help_message: `must be one of ${LOCAL_IMAGE_ORDERS.join(', ')}`,
        },
      ]);
    }
    if (label !== null && !SCALEWAY_MARKETPLACE_LABELS.some((entry) => entry.label === label)) {
      // §10.1: recorded body for an unknown label.
      throw notFound('MarketplaceImage', label);
    }
    // UNCONFIRMED (docs/scaleway-api.md §10.1): exactly one of image_id/version_id/image_label is expected; without
    // any, every local image matching the other filters is listed.
    const images = SCALEWAY_CATALOG_IMAGES.filter(
      (image) =>
        (label === null || image.label === label) &&
        (imageId === null || image.id === imageId) &&
        (zone === null || image.zone === zone) &&
        (arch === null || image.arch === arch) &&
        (type === null || type === 'unknown_type' || image.type === type),
    );
    if (order.endsWith('_desc')) images.reverse();
    return jsonResponse(200, {
      local_images: pageOf(images, paging).map(localImageJson),
      total_count: images.length,
    });
  });

  app.get('/marketplace/v2/local-images/:id', (context) => {
    const id = context.req.param('id');
    const image = catalogImage(id.toLowerCase());
    // UNCONFIRMED (docs/scaleway-api.md §10.1): the resource name of an unknown local image was not recorded.
    if (image === undefined) throw notFound('MarketplaceLocalImage', id);
    return jsonResponse(200, localImageJson(image));
  });

  app.get('/marketplace/v2/images', (context) => {
    const paging = readPaging(new URL(context.req.url).searchParams, MODERN_PAGING);
    const images = SCALEWAY_MARKETPLACE_LABELS.map(marketplaceImageJson);
    return jsonResponse(200, { images: pageOf(images, paging), total_count: images.length });
  });

  app.get('/marketplace/v2/images/:id', (context) => {
    const id = context.req.param('id');
    const image = SCALEWAY_MARKETPLACE_LABELS.map(marketplaceImageJson).find(
      (candidate) => candidate.id === id,
    );
    if (image === undefined) throw notFound('MarketplaceImage', id);
    return jsonResponse(200, image);
  });

  // ---- Account v3 (§2.3) ----

  app.get('/account/v3/projects', (context) => {
    const query = new URL(context.req.url).searchParams;
    const paging = readPaging(query, MODERN_PAGING);
    const organization = query.get('organization_id');
    const name = query.get('name');
    const ids = splitList(query.get('project_ids'));
    const project = projectJson(state.projectId, state.organizationId);
    // UNCONFIRMED (docs/scaleway-api.md §2.3): the answer without `organization_id` was not recorded; the key's
    // organization is assumed.
    const visible =
      (organization === null || organization === state.organizationId) &&
      (name === null || String(project.name).includes(name)) &&
      (ids.length === 0 || ids.includes(state.projectId));
    const projects = visible ? [project] : [];
    return jsonResponse(200, { total_count: projects.length, projects: pageOf(projects, paging) });
  });

  app.get('/account/v3/projects/:id', (context) => {
    const id = context.req.param('id');
    // UNCONFIRMED (docs/scaleway-api.md §2.3): a project the key cannot see is answered 404 like an unknown one.
    if (id !== state.projectId) throw notFound('project_id', id);
    return jsonResponse(200, projectJson(state.projectId, state.organizationId));
  });

  return app;
}

function zoneParam(context: RouteContext): ScalewayZone {
  const zone = context.req.param('zone') ?? '';
  // UNCONFIRMED (docs/scaleway-api.md §13): an unknown zone is answered with the modern not_found body.
  if (!(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone)) throw notFound('zone', zone);
  return zone as ScalewayZone;
}

function blockZoneParam(context: RouteContext): ScalewayZone {
  const version = context.req.param('version');
  if (version !== 'v1' && version !== 'v1alpha1') {
    throw notFound('route', new URL(context.req.url).pathname);
  }
  return zoneParam(context);
}

/** The JSON request body, or `undefined` when empty. */
function parseJson(context: RouteContext): unknown {
  const text = context.env.body;
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // UNCONFIRMED (docs/scaleway-api.md §7): the answer to malformed JSON was not recorded.
    throw invalidRequest('the request body is not valid JSON');
  }
}

/** §11: products are a map keyed by commercial type, paginated 50 per page with `X-Total-Count` and `Link`. */
function productsPage(context: RouteContext, path: string, describe: (name: string) => unknown): Response {
  const zone = zoneParam(context);
  const url = new URL(context.req.url);
  const paging: ScalewayPaging = readPaging(url.searchParams, INSTANCE_PAGING);
  const names = scalewayServerTypesIn(zone).map((spec) => spec.name);
  const servers: Record<string, unknown> = {};
  for (const name of pageOf(names, paging)) servers[name] = describe(name);
  return jsonResponse(200, { servers }, instanceListHeaders(path, url.search, paging, names.length));
}
