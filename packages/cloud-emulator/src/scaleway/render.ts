import { blockVolumeStatus, blockVolumeType } from './block-volumes.js';
import { catalogImage, derivedUuid, instanceImageJson, SCALEWAY_SERVER_TYPES } from './catalog.js';
import type { ScalewayApiError } from './errors.js';
import { serverIps } from './ips.js';
import type { ScalewayIpRecord, ScalewayServerRecord, ScalewayVolumeRecord } from './records.js';
import { SCALEWAY_ALLOWED_ACTIONS } from './servers.js';
import type { ScalewayState } from './state.js';

type Json = Record<string, unknown>;

/**
 * A JSON answer. The official SDK only parses a body whose `Content-Type` is exactly `application/json`, which
 * is what the API sends (no charset).
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** An empty answer; Instance labels even empty 204s (docs/scaleway-api.md §1, §9). */
export function emptyResponse(status: number, contentType: 'application/json' | 'text/plain'): Response {
  return new Response(null, { status, headers: { 'Content-Type': contentType } });
}

export function errorResponse(error: ScalewayApiError): Response {
  if (error.body === undefined) {
    return new Response(null, {
      status: error.status,
      headers: { 'Content-Type': error.emptyContentType ?? 'application/json', 'Content-Length': '0' },
    });
  }
  return jsonResponse(error.status, error.body);
}

/** Block, Marketplace and Account dates: RFC 3339 in UTC with a `Z`. */
function modernDate(instanceDate: string | null): string | null {
  return instanceDate === null ? null : instanceDate.replace('+00:00', 'Z');
}

/** ServerIP, the element of `public_ips` (docs/scaleway-api.md §3). */
export function serverIpJson(ip: ScalewayIpRecord): Json {
  return {
    id: ip.id,
    address: ip.address,
    dynamic: ip.dynamic,
    gateway: '62.210.0.1',
    netmask: '32',
    family: 'inet',
    provisioning_mode: 'dhcp',
    tags: ip.tags,
    state: ip.state,
    ipam_id: derivedUuid('ipam', ip.id),
  };
}

/**
 * VolumeServer, the element of a server's `volumes` map: full for `l_ssd`, five fields for SBS (§3, §15.9), whose
 * `state` is `attaching` until the Block reference is attached.
 */
function volumeServerJson(volume: ScalewayVolumeRecord, server: ScalewayServerRecord): Json {
  const boot = server.bootVolumeId === volume.id;
  if (volume.volumeType === 'sbs_volume') {
    const state = volume.referenceStatus === 'attaching' ? 'attaching' : 'available';
    return { boot, volume_type: 'sbs_volume', id: volume.id, state, zone: volume.zone };
  }
  return {
    boot,
    id: volume.id,
    name: volume.name,
    volume_type: 'l_ssd',
    export_uri: null,
    organization: volume.organization,
    project: volume.project,
    server: { id: server.id, name: server.name },
    size: volume.size,
    state: 'available',
    creation_date: volume.creationDate,
    modification_date: volume.modificationDate,
    tags: volume.tags,
    zone: volume.zone,
  };
}

/** The server object, fields in the order of the recorded create response (docs/scaleway-api.md §3). */
export function serverJson(server: ScalewayServerRecord, state: ScalewayState): Json {
  const image = server.imageId === null ? undefined : catalogImage(server.imageId);
  const volumes: Json = {};
  for (const [slot, volumeId] of Object.entries(server.volumes)) {
    const volume = state.volumes.get(volumeId);
    if (volume !== undefined) volumes[slot] = volumeServerJson(volume, server);
  }
  const publicIps = serverIps(state, server).map(serverIpJson);
  return {
    id: server.id,
    name: server.name,
    arch: server.arch,
    commercial_type: server.commercialType,
    boot_type: 'local',
    organization: server.organization,
    project: server.project,
    // §3: the hostname is the name lower-cased with `_` turned into `-`.
    hostname: server.name.toLowerCase().replaceAll('_', '-'),
    image: image === undefined ? null : instanceImageJson(image),
    volumes,
    tags: server.tags,
    state: server.state,
    protected: server.protected,
    state_detail: server.stateDetail,
    public_ip: publicIps[0] ?? null,
    public_ips: publicIps,
    mac_address: server.macAddress,
    routed_ip_enabled: true,
    ipv6: null,
    extra_networks: [],
    dynamic_ip_required: server.dynamicIpRequired,
    enable_ipv6: false,
    private_ip: null,
    creation_date: server.creationDate,
    modification_date: server.modificationDate,
    bootscript: null,
    security_group: { id: server.securityGroupId, name: 'Default security group' },
    location: server.location,
    maintenances: [],
    allowed_actions: SCALEWAY_ALLOWED_ACTIONS[server.state],
    placement_group: null,
    private_nics: [],
    zone: server.zone,
    filesystems: [],
    end_of_service:
      SCALEWAY_SERVER_TYPES.find((spec) => spec.name === server.commercialType)?.endOfService ?? false,
    dns: `${server.id}.pub.instances.scw.cloud`,
    admin_password_encryption_ssh_key_id: null,
    admin_password_encrypted_value: null,
  };
}

/** The Instance `Volume` object of `/volumes/{id}` (local volumes). */
export function localVolumeJson(volume: ScalewayVolumeRecord, state: ScalewayState): Json {
  const server = volume.serverId === null ? undefined : state.servers.get(volume.serverId);
  return {
    id: volume.id,
    name: volume.name,
    export_uri: null,
    size: volume.size,
    volume_type: volume.volumeType,
    creation_date: volume.creationDate,
    modification_date: volume.modificationDate,
    organization: volume.organization,
    project: volume.project,
    tags: volume.tags,
    // §6.1: after `DELETE /servers/{id}` a local volume reports `"server": null`.
    server: server === undefined ? null : { id: server.id, name: server.name },
    state: 'available',
    zone: volume.zone,
  };
}

/** The Block API versions served; v1alpha1 volumes have no `kms_key_id` (docs/scaleway-api.md §15.1). */
export type BlockApiVersion = 'v1' | 'v1alpha1';

/** The bare Block API volume (docs/scaleway-api.md §15.2), keys in the recorded order. */
export function blockVolumeJson(volume: ScalewayVolumeRecord, version: BlockApiVersion = 'v1'): Json {
  const references =
    volume.serverId === null
      ? []
      : [
          {
            id: derivedUuid('reference', volume.id, volume.serverId, volume.referenceCreatedAt ?? ''),
            product_resource_type: 'instance_server',
            product_resource_id: volume.serverId,
            created_at: modernDate(volume.referenceCreatedAt),
            type: 'exclusive',
            status: volume.referenceStatus ?? 'attached',
          },
        ];
  return {
    id: volume.id,
    name: volume.name,
    type: blockVolumeType(volume.perfIops),
    size: volume.size,
    project_id: volume.project,
    created_at: modernDate(volume.creationDate),
    updated_at: modernDate(volume.modificationDate),
    references,
    parent_snapshot_id: volume.parentSnapshotId,
    status: blockVolumeStatus(volume),
    tags: volume.tags,
    specs: { perf_iops: volume.perfIops, class: 'sbs' },
    last_detached_at: modernDate(volume.lastDetachedAt),
    ...(version === 'v1' ? { kms_key_id: volume.kmsKeyId } : {}),
    zone: volume.zone,
  };
}

/** The Instance `Ip` object of `/ips/{id}`. */
export function flexibleIpJson(ip: ScalewayIpRecord, state: ScalewayState): Json {
  const server = ip.serverId === null ? undefined : state.servers.get(ip.serverId);
  return {
    id: ip.id,
    address: ip.address,
    reverse: null,
    server: server === undefined ? null : { id: server.id, name: server.name },
    organization: ip.organization,
    project: ip.project,
    zone: ip.zone,
    type: 'routed_ipv4',
    state: ip.state,
    tags: ip.tags,
    prefix: `${ip.address}/32`,
    ipam_id: derivedUuid('ipam', ip.id),
  };
}

/** §5.4: since 2026 the API answers actions with a placeholder task (and no `Location`). */
export function actionTaskJson(server: ScalewayServerRecord, startedAt: string): Json {
  return {
    task: {
      id: '00000000-0000-0000-0000-000000000000',
      description: 'fake task',
      status: 'pending',
      href_from: `/servers/${server.id}/action`,
      href_result: `/servers/${server.id}`,
      started_at: startedAt,
      terminated_at: null,
      progress: 0,
      zone: server.zone,
    },
  };
}

/** The Account v3 project object (docs/scaleway-api.md §2.3). */
export function projectJson(projectId: string, organizationId: string): Json {
  return {
    id: projectId,
    name: 'default',
    organization_id: organizationId,
    created_at: '2024-01-15T10:00:00.000000Z',
    updated_at: '2024-01-15T10:00:00.000000Z',
    description: '',
    qualification: null,
  };
}
