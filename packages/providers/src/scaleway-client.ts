import { HttpClient, type HttpClientConfig } from './http-client.js';
import { mapScalewayError } from './scaleway-mappers.js';
import {
  scalewayBlockVolumeListSchema,
  scalewayBlockVolumeSchema,
  scalewayIpListSchema,
  scalewayLocalImageListSchema,
  scalewayLocalVolumeListSchema,
  scalewayLocalVolumeResponseSchema,
  scalewayServerListSchema,
  scalewayServerResponseSchema,
  scalewayUserDataKeysSchema,
} from './scaleway-schemas.js';

/** Per-call options: the caller's signal, and values to keep out of errors and logs (the user data of a create). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  secrets?: readonly string[] | undefined;
}

/** The server actions this library sends (docs/scaleway-api.md §5.1). */
export type ScalewayAction = 'poweron' | 'poweroff' | 'terminate';

/**
 * The zone-aware Scaleway client: each method is one request, `{apiUrl}/instance/v1/zones/{zone}/…` (or the
 * Marketplace, Account and Block APIs) with `X-Auth-Token` (docs/scaleway-api.md §2.1). Ids and zones reaching it are
 * already validated, so paths need no escaping.
 */
export class ScalewayClient {
  readonly http: HttpClient;

  constructor(
    config: Omit<HttpClientConfig, 'provider' | 'authHeaders' | 'mapError'> & { secretKey: string },
  ) {
    const { secretKey, ...rest } = config;
    this.http = new HttpClient({
      ...rest,
      provider: 'scaleway',
      authHeaders: { 'X-Auth-Token': secretKey },
      mapError: mapScalewayError,
    });
  }

  async getServer(zone: string, id: string, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/servers/${id}`,
      schema: scalewayServerResponseSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.server;
  }

  /** One page of servers; `total` is the `X-Total-Count` header (§8.1), `undefined` when absent or unreadable. */
  async listServers(
    zone: string,
    query: { project: string; tags?: string | undefined; page: number; perPage: number },
    options: CallOptions = {},
  ) {
    const { data, headers } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/servers`,
      query: { project: query.project, tags: query.tags, page: query.page, per_page: query.perPage },
      schema: scalewayServerListSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    const header = headers.get('x-total-count')?.trim() ?? '';
    const total = /^\d+$/.test(header) ? Number(header) : undefined;
    return {
      servers: data.servers,
      total: total !== undefined && Number.isSafeInteger(total) ? total : undefined,
    };
  }

  async createServer(zone: string, body: Record<string, unknown>, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'POST',
      path: `/instance/v1/zones/${zone}/servers`,
      json: body,
      schema: scalewayServerResponseSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.server;
  }

  /** §9: the keys of a server's user data (`{"user_data": [keys]}`). */
  async userDataKeys(zone: string, id: string, options: CallOptions = {}): Promise<string[]> {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/servers/${id}/user_data`,
      schema: scalewayUserDataKeysSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.user_data;
  }

  /** §9: raw `text/plain`, never JSON; replacing a key is harmless, so it is retried like a PUT. */
  async setUserData(
    zone: string,
    id: string,
    key: string,
    value: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.http.request({
      method: 'PATCH',
      path: `/instance/v1/zones/${zone}/servers/${id}/user_data/${key}`,
      text: value,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  /** §5.4: 202 with a (placeholder) task; the server state is what matters, so the body is not read. */
  async action(zone: string, id: string, action: ScalewayAction, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `/instance/v1/zones/${zone}/servers/${id}/action`,
      json: { action },
      // Power actions converge on a state, and a repeated terminate finds the server gone or terminating.
      idempotent: true,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  async deleteServer(zone: string, id: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `/instance/v1/zones/${zone}/servers/${id}`,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  async deleteLocalVolume(zone: string, id: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `/instance/v1/zones/${zone}/volumes/${id}`,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  /**
   * §15.12: replace a local volume's tags (`PATCH /instance/v1/…/volumes/{id}`, recorded 200). Replacing is
   * harmless to repeat, so it is retried like a PUT.
   */
  async tagLocalVolume(zone: string, id: string, tags: readonly string[], options: CallOptions = {}) {
    await this.http.request({
      method: 'PATCH',
      path: `/instance/v1/zones/${zone}/volumes/${id}`,
      json: { tags },
      idempotent: true,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  /** §15.12: replace a Block volume's tags (`PATCH {tags}`); retried like a PUT. */
  async tagBlockVolume(zone: string, id: string, tags: readonly string[], options: CallOptions = {}) {
    await this.http.request({
      method: 'PATCH',
      path: `/block/v1/zones/${zone}/volumes/${id}`,
      json: { tags },
      idempotent: true,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  async getLocalVolume(zone: string, id: string, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/volumes/${id}`,
      schema: scalewayLocalVolumeResponseSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.volume;
  }

  /** One page of local volumes; `tags` is comma-joined, every one required (§15.12: Instance lists join tags). */
  async listLocalVolumes(
    zone: string,
    query: { project: string; tags: string; page: number; perPage: number },
    options: CallOptions = {},
  ) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/volumes`,
      query: {
        project: query.project,
        tags: query.tags,
        volume_type: 'l_ssd',
        page: query.page,
        per_page: query.perPage,
      },
      schema: scalewayLocalVolumeListSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.volumes;
  }

  /** One page of flexible IPs; `tags` is comma-joined, every one required (§8.1's rule for Instance lists). */
  async listIps(
    zone: string,
    query: { project: string; tags?: string | undefined; page: number; perPage: number },
    options: CallOptions = {},
  ) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/instance/v1/zones/${zone}/ips`,
      query: { project: query.project, tags: query.tags, page: query.page, per_page: query.perPage },
      schema: scalewayIpListSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.ips;
  }

  /** §6.4 step 6: a flexible IP goes with `DELETE /ips/{id}` (204; 404 once gone). */
  async deleteIp(zone: string, id: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `/instance/v1/zones/${zone}/ips/${id}`,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  async deleteBlockVolume(zone: string, id: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      path: `/block/v1/zones/${zone}/volumes/${id}`,
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  /** §15.3: a new empty Block volume; 200 with the bare object in `creating`. */
  async createBlockVolume(zone: string, body: Record<string, unknown>, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'POST',
      path: `/block/v1/zones/${zone}/volumes`,
      json: body,
      schema: scalewayBlockVolumeSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data;
  }

  async getBlockVolume(zone: string, id: string, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/block/v1/zones/${zone}/volumes/${id}`,
      schema: scalewayBlockVolumeSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data;
  }

  /** §15.5: one page; `total_count` is in the body. `tags` is one tag (a repeated key would mean OR). */
  async listBlockVolumes(
    zone: string,
    query: { project: string; tags?: string | undefined; page: number; pageSize: number },
    options: CallOptions = {},
  ) {
    const { data } = await this.http.request({
      method: 'GET',
      path: `/block/v1/zones/${zone}/volumes`,
      query: {
        project_id: query.project,
        tags: query.tags,
        page: query.page,
        page_size: query.pageSize,
        order_by: 'created_at_asc',
      },
      schema: scalewayBlockVolumeListSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data;
  }

  /** §15.6: size grows only; answers at once, the change lands later (`updating`). */
  async updateBlockVolume(
    zone: string,
    id: string,
    body: Record<string, unknown>,
    options: CallOptions = {},
  ) {
    const { data } = await this.http.request({
      method: 'PATCH',
      path: `/block/v1/zones/${zone}/volumes/${id}`,
      json: body,
      schema: scalewayBlockVolumeSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data;
  }

  /** §15.9 (a) and (b): attach or detach a Block volume; 200 `{server}`, the volume's view lags behind. */
  async serverVolume(
    zone: string,
    serverId: string,
    change: 'attach-volume' | 'detach-volume',
    volumeId: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.http.request({
      method: 'POST',
      path: `/instance/v1/zones/${zone}/servers/${serverId}/${change}`,
      json:
        change === 'attach-volume'
          ? { volume_id: volumeId, volume_type: 'sbs_volume' }
          : { volume_id: volumeId },
      signal: options.signal,
      secrets: options.secrets,
    });
  }

  /** §10.1: every local image of a label in a zone (both storage types). */
  async localImages(zone: string, label: string, options: CallOptions = {}) {
    const { data } = await this.http.request({
      method: 'GET',
      path: '/marketplace/v2/local-images',
      query: { image_label: label, zone, order_by: 'type_asc' },
      schema: scalewayLocalImageListSchema,
      signal: options.signal,
      secrets: options.secrets,
    });
    return data.local_images;
  }

  /** §2.3: proves key and project together. */
  async getProject(projectId: string, options: CallOptions = {}): Promise<void> {
    await this.http.request({
      method: 'GET',
      path: `/account/v3/projects/${projectId}`,
      signal: options.signal,
      secrets: options.secrets,
    });
  }
}
