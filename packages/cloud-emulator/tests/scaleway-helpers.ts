import type { ScalewayEmulator } from '../src/scaleway/emulator.js';

export const API = 'https://api.scaleway.com';
/** The Instance API path of a zone. */
export const instancePath = (zone = 'fr-par-1') => `/instance/v1/zones/${zone}`;
export const FR_PAR_1 = instancePath('fr-par-1');

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or `undefined` when the body is empty or not JSON. */
  body: any;
}

export interface SendOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with `contentType` (default text/plain). */
  text?: string;
  contentType?: string;
  /** `null` sends no token; default: the emulator's secret key. */
  token?: string | null;
}

/** A minimal client for the emulator's `fetch`, with the auth header set. */
export function scalewayClient(emulator: ScalewayEmulator) {
  return async function send(method: string, path: string, options: SendOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? emulator.secretKey : options.token;
    if (token !== null) headers['X-Auth-Token'] = token;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.text !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'text/plain';
      body = options.text;
    }
    const response = await emulator.fetch(
      new Request(`${API}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
    );
    const text = await response.text();
    let parsed: unknown;
    if (text !== '' && response.headers.get('content-type') === 'application/json') parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, text, body: parsed };
  };
}

export type Send = ReturnType<typeof scalewayClient>;

/** `POST /servers` with a valid body (DEV1-S, label `ubuntu_noble`) merged with `overrides`. */
export function createServer(
  send: Send,
  emulator: ScalewayEmulator,
  overrides: Record<string, unknown> = {},
  zone = 'fr-par-1',
): Promise<ApiResponse> {
  return send('POST', `${instancePath(zone)}/servers`, {
    json: {
      name: 'agent-1',
      commercial_type: 'DEV1-S',
      image: 'ubuntu_noble',
      project: emulator.projectId,
      ...overrides,
    },
  });
}

export function action(send: Send, serverId: string, name: string, zone = 'fr-par-1'): Promise<ApiResponse> {
  return send('POST', `${instancePath(zone)}/servers/${serverId}/action`, { json: { action: name } });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** §3: `2025-09-05T15:46:14.716637+00:00`. */
export const INSTANCE_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;
