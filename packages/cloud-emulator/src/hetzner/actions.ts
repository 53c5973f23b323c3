/** Actions of the Hetzner emulator: the records every mutating call returns, and the routes that poll them. */
import type { Hono } from 'hono';
import { HETZNER_VOLUME_ERRORS, hetznerError } from './errors.js';
import { enumFilter, paginate, pathId, sortItems } from './listing.js';

/** A resource an action works on: `{ id, type }`, `type` being `server` or `volume`. */
export interface HetznerActionResource {
  id: number;
  type: 'server' | 'volume';
}

/** An action as the emulator stores it (docs/hetzner-api.md "Action objects and polling"). */
export interface HetznerActionRecord {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: HetznerActionResource[];
  error: { code: string; message: string } | null;
}

const ACTION_STATUSES = ['running', 'success', 'error'] as const;

/** Every action the emulator has started, by id. */
export class HetznerActions {
  readonly #actions = new Map<number, HetznerActionRecord>();
  #nextId = 1;

  /** A new `running` action. */
  start(command: string, resources: HetznerActionResource[]): HetznerActionRecord {
    const action: HetznerActionRecord = {
      id: this.#nextId++,
      command,
      status: 'running',
      progress: 0,
      started: new Date().toISOString(),
      finished: null,
      resources,
      error: null,
    };
    this.#actions.set(action.id, action);
    return action;
  }

  /** End `action` with `success`, or with `error` when `error` is given. A finished action stays as it is. */
  finish(action: HetznerActionRecord, error?: { code: string; message: string }): void {
    if (action.status !== 'running') return;
    action.status = error === undefined ? 'success' : 'error';
    action.progress = 100;
    action.finished = new Date().toISOString();
    action.error = error === undefined ? null : { ...error };
  }

  get(id: number): HetznerActionRecord | undefined {
    return this.#actions.get(id);
  }

  all(): HetznerActionRecord[] {
    return [...this.#actions.values()];
  }

  /** True while an action on the resource is `running`: Hetzner then answers `locked`. */
  running(type: HetznerActionResource['type'], id: number): boolean {
    return this.all().some((action) => action.status === 'running' && touches(action, type, id));
  }

  clear(): void {
    this.#actions.clear();
  }
}

/** True when `action` lists the resource among its `resources`. */
export function touches(
  action: HetznerActionRecord,
  type: HetznerActionResource['type'],
  id: number,
): boolean {
  return action.resources.some((resource) => resource.type === type && resource.id === id);
}

/** The action as the API renders it: a copy, so that a response keeps the state it was rendered in. */
export function actionJson(action: HetznerActionRecord): Record<string, unknown> {
  return {
    ...action,
    resources: action.resources.map((resource) => ({ ...resource })),
    error: action.error === null ? null : { ...action.error },
  };
}

/** The routes' view of which resources exist (a scoped action route 404s for a missing resource). */
export type HetznerResourceExists = (type: HetznerActionResource['type'], id: number) => boolean;

/**
 * `GET /actions`, `GET /actions/{id}`, and per resource type `GET /{type}s/actions`, `GET /{type}s/actions/{id}`,
 * `GET /{type}s/{id}/actions` and `GET /{type}s/{id}/actions/{action_id}`. Lists take `id` and `status` (repeatable),
 * `sort` (`id`, `command`, `status`, `started`, `finished`) and pagination. Register before the resource routes, so
 * that `/volumes/actions` is not read as the volume `actions`.
 */
export function registerActionRoutes(
  app: Hono,
  actions: HetznerActions,
  exists: HetznerResourceExists,
): void {
  const list = (url: URL, scope: (action: HetznerActionRecord) => boolean) => {
    const ids = url.searchParams.getAll('id').map((id) => {
      const parsed = pathId(id);
      if (parsed === undefined) throw hetznerError(HETZNER_VOLUME_ERRORS.invalidId);
      return parsed;
    });
    const statuses = enumFilter(url, 'status', ACTION_STATUSES);
    const matching = actions
      .all()
      .filter(
        (action) =>
          scope(action) &&
          (ids.length === 0 || ids.includes(action.id)) &&
          (statuses.length === 0 || statuses.includes(action.status)),
      );
    const sorted = sortItems(matching, url, {
      id: (action) => action.id,
      command: (action) => action.command,
      status: (action) => action.status,
      started: (action) => action.started,
      finished: (action) => action.finished,
    });
    return paginate('actions', sorted, url, actionJson);
  };
  const one = (id: string, scope: (action: HetznerActionRecord) => boolean) => {
    const parsed = pathId(id);
    const action = parsed === undefined ? undefined : actions.get(parsed);
    if (action === undefined || !scope(action)) {
      throw hetznerError(HETZNER_VOLUME_ERRORS.actionNotFound, `action with ID ${id} not found`);
    }
    return { action: actionJson(action) };
  };

  app.get('/actions', (context) => context.json(list(new URL(context.req.url), () => true)));
  app.get('/actions/:id', (context) => context.json(one(context.req.param('id'), () => true)));

  for (const type of ['server', 'volume'] as const) {
    const ofType = (action: HetznerActionRecord) =>
      action.resources.some((resource) => resource.type === type);
    const resource = (id: string) => {
      const parsed = pathId(id);
      if (parsed === undefined || !exists(type, parsed)) {
        throw hetznerError(HETZNER_VOLUME_ERRORS.notFound, `${type} with ID ${id} not found`);
      }
      return (action: HetznerActionRecord) => touches(action, type, parsed);
    };
    app.get(`/${type}s/actions`, (context) => context.json(list(new URL(context.req.url), ofType)));
    app.get(`/${type}s/actions/:id`, (context) => context.json(one(context.req.param('id'), ofType)));
    app.get(`/${type}s/:id/actions`, (context) =>
      context.json(list(new URL(context.req.url), resource(context.req.param('id')))),
    );
    app.get(`/${type}s/:id/actions/:actionId`, (context) =>
      context.json(one(context.req.param('actionId'), resource(context.req.param('id')))),
    );
  }
}
