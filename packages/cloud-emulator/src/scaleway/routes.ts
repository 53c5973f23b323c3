import { Hono } from 'hono';
import { registerBlockRoutes } from './block-routes.js';
import {
  instanceImageJson,
  localImageJson,
  marketplaceImageJson,
  SCALEWAY_MARKETPLACE_LABELS,
  scalewayServerTypesIn,
  serverTypeJson,
} from './catalog.js';
import { deniedAuthentication, invalidRequest, notFound, ScalewayApiError } from './errors.js';
import { instanceImage, listInstanceImages, listLocalImages, localImage } from './images.js';
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
  emptyResponse,
  errorResponse,
  flexibleIpJson,
  jsonResponse,
  localVolumeJson,
  projectJson,
  serverJson,
} from './render.js';
import { splitList } from './request-body.js';
import {
  parseJson,
  type RouteBindings,
  type RouteContext,
  type ScalewayResources,
  zoneParam,
} from './route-context.js';
import { SCALEWAY_ALLOWED_ACTIONS } from './servers.js';

/** The Instance, Block, Marketplace and Account routes over one shared state and its resource modules. */
export function createScalewayRouter(
  resources: ScalewayResources,
  secretKey: string,
): Hono<{ Bindings: RouteBindings }> {
  const { state, servers, serverVolumes, localVolumes, ips } = resources;
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
    const matches = servers.list(zone, url.searchParams);
    // §8.1: the total is only in `X-Total-Count`; the body has no `total_count`.
    return jsonResponse(
      200,
      { servers: pageOf(matches, paging).map((server) => serverJson(server, state)) },
      instanceListHeaders('/servers', url.search, paging, matches.length),
    );
  });

  app.post('/instance/v1/zones/:zone/servers', (context) => {
    const zone = zoneParam(context);
    const server = servers.create(zone, parseJson(context));
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
    const server = servers.update(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { server: serverJson(server, state) });
  });

  app.delete('/instance/v1/zones/:zone/servers/:id', (context) => {
    servers.delete(zoneParam(context), context.req.param('id'));
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
    const server = servers.performAction(zone, id, parseJson(context));
    // §5.4: 202 (recordings win over the OpenAPI file's 200).
    return jsonResponse(202, actionTaskJson(server, startedAt));
  });

  // ---- Instance: attaching volumes (§15.9) ----

  app.post('/instance/v1/zones/:zone/servers/:id/attach-volume', (context) => {
    const server = serverVolumes.attach(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { server: serverJson(server, state) });
  });

  app.post('/instance/v1/zones/:zone/servers/:id/detach-volume', (context) => {
    const server = serverVolumes.detach(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { server: serverJson(server, state) });
  });

  // ---- Instance: user data (§9) ----

  app.get('/instance/v1/zones/:zone/servers/:id/user_data', (context) => {
    const keys = servers.listUserData(zoneParam(context), context.req.param('id'));
    return jsonResponse(200, { user_data: keys });
  });

  app.get('/instance/v1/zones/:zone/servers/:id/user_data/:key', (context) => {
    const value = servers.getUserData(zoneParam(context), context.req.param('id'), context.req.param('key'));
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
    servers.setUserData(zone, context.req.param('id'), context.req.param('key'), context.env.body);
    return emptyResponse(204, 'text/plain');
  });

  app.delete('/instance/v1/zones/:zone/servers/:id/user_data/:key', (context) => {
    servers.deleteUserData(zoneParam(context), context.req.param('id'), context.req.param('key'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Instance: images and products (§8.2, §10.3, §11) ----

  app.get('/instance/v1/zones/:zone/images', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const paging = readPaging(url.searchParams, INSTANCE_PAGING);
    const images = listInstanceImages(zone, url.searchParams);
    return jsonResponse(
      200,
      { images: pageOf(images, paging).map(instanceImageJson) },
      instanceListHeaders('/images', url.search, paging, images.length),
    );
  });

  app.get('/instance/v1/zones/:zone/images/:id', (context) => {
    const image = instanceImage(zoneParam(context), context.req.param('id'));
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
    const paging = readPaging(url.searchParams, INSTANCE_PAGING);
    const volumes = localVolumes.list(zone, url.searchParams);
    return jsonResponse(
      200,
      { volumes: pageOf(volumes, paging).map((volume) => localVolumeJson(volume, state)) },
      instanceListHeaders('/volumes', url.search, paging, volumes.length),
    );
  });

  app.get('/instance/v1/zones/:zone/volumes/:id', (context) => {
    const volume = localVolumes.volume(zoneParam(context), context.req.param('id'), 'read');
    return jsonResponse(200, { volume: localVolumeJson(volume, state) });
  });

  app.patch('/instance/v1/zones/:zone/volumes/:id', (context) => {
    const volume = localVolumes.update(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { volume: localVolumeJson(volume, state) });
  });

  app.delete('/instance/v1/zones/:zone/volumes/:id', (context) => {
    localVolumes.delete(zoneParam(context), context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });

  // ---- Instance: flexible IPs (§1, §6) ----

  app.get('/instance/v1/zones/:zone/ips', (context) => {
    const zone = zoneParam(context);
    const url = new URL(context.req.url);
    const paging = readPaging(url.searchParams, INSTANCE_PAGING);
    const matches = ips.list(zone, url.searchParams);
    return jsonResponse(
      200,
      { ips: pageOf(matches, paging).map((ip) => flexibleIpJson(ip, state)) },
      instanceListHeaders('/ips', url.search, paging, matches.length),
    );
  });

  app.post('/instance/v1/zones/:zone/ips', (context) => {
    const ip = ips.create(zoneParam(context), parseJson(context));
    return jsonResponse(201, { ip: flexibleIpJson(ip, state) });
  });

  app.get('/instance/v1/zones/:zone/ips/:id', (context) => {
    const ip = ips.ip(zoneParam(context), context.req.param('id'), 'read');
    return jsonResponse(200, { ip: flexibleIpJson(ip, state) });
  });

  app.patch('/instance/v1/zones/:zone/ips/:id', (context) => {
    const ip = ips.update(zoneParam(context), context.req.param('id'), parseJson(context));
    return jsonResponse(200, { ip: flexibleIpJson(ip, state) });
  });

  app.delete('/instance/v1/zones/:zone/ips/:id', (context) => {
    ips.delete(zoneParam(context), context.req.param('id'));
    return emptyResponse(204, 'application/json');
  });

  registerBlockRoutes(app, resources);

  // ---- Marketplace v2 (§10) ----

  app.get('/marketplace/v2/local-images', (context) => {
    const query = new URL(context.req.url).searchParams;
    const paging = readPaging(query, MODERN_PAGING);
    const images = listLocalImages(query);
    return jsonResponse(200, {
      local_images: pageOf(images, paging).map(localImageJson),
      total_count: images.length,
    });
  });

  app.get('/marketplace/v2/local-images/:id', (context) => {
    return jsonResponse(200, localImageJson(localImage(context.req.param('id'))));
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
