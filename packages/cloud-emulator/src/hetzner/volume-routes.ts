/** The Volumes API routes of the Hetzner emulator (docs/hetzner-api.md "Volumes", "Endpoints"). */
import type { Context, Hono } from 'hono';
import { HETZNER_VOLUME_ERRORS as ERRORS, hetznerError } from './errors.js';
import { enumFilter, paginate, pathId, sortItems } from './listing.js';
import { labelSelector } from './validation.js';
import { type HetznerVolumeRecord, type HetznerVolumes, volumeJson } from './volumes.js';

type Json = Record<string, unknown>;

const VOLUME_STATUSES = ['creating', 'available'] as const;

/** The request body as an object (an empty body is `{}`), or 400 `json_error`. */
export async function jsonBody(context: Context): Promise<Json> {
  const text = await context.req.text();
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw hetznerError(ERRORS.json);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw hetznerError(ERRORS.json);
  return body as Json;
}

/** Register the volume routes (after the action routes, which own `/volumes/actions…`). */
export function registerVolumeRoutes(app: Hono, volumes: HetznerVolumes): void {
  const volumeOf = (context: Context): HetznerVolumeRecord => {
    const raw = context.req.param('id') ?? '';
    return volumes.require(pathId(raw), raw);
  };

  app.post('/volumes', async (context) => context.json(volumes.create(await jsonBody(context)), 201));

  app.get('/volumes', (context) => {
    const url = new URL(context.req.url);
    const name = url.searchParams.get('name');
    const statuses = enumFilter(url, 'status', VOLUME_STATUSES);
    let matches: (volume: HetznerVolumeRecord) => boolean;
    try {
      matches = labelSelector(url.searchParams.get('label_selector') ?? '');
    } catch {
      throw hetznerError(ERRORS.invalidSelector);
    }
    const found = volumes
      .all()
      .filter(
        (volume) =>
          (name === null || volume.name === name) &&
          (statuses.length === 0 || statuses.includes(volume.status)) &&
          matches(volume),
      );
    const sorted = sortItems(found, url, {
      id: (volume) => volume.id,
      name: (volume) => volume.name,
      created: (volume) => volume.created,
    });
    return context.json(paginate('volumes', sorted, url, volumeJson));
  });

  app.get('/volumes/:id', (context) => context.json({ volume: volumeJson(volumeOf(context)) }));

  app.put('/volumes/:id', async (context) => {
    const volume = volumeOf(context);
    return context.json(volumes.update(volume, await jsonBody(context)));
  });

  app.delete('/volumes/:id', (context) => {
    volumes.delete(volumeOf(context));
    return context.body(null, 204);
  });

  app.post('/volumes/:id/actions/:action', async (context) => {
    const volume = volumeOf(context);
    const action = context.req.param('action');
    switch (action) {
      case 'attach':
        return context.json(volumes.attach(volume, await jsonBody(context)), 201);
      case 'detach':
        return context.json(volumes.detach(volume), 201);
      case 'resize':
        return context.json(volumes.resize(volume, await jsonBody(context)), 201);
      case 'change_protection':
        return context.json(volumes.changeProtection(volume, await jsonBody(context)), 201);
      default:
        throw hetznerError(ERRORS.actionNotFound, `action ${action} not found`);
    }
  });
}
