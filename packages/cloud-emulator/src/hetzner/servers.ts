/** Servers of the Hetzner emulator: the stored record and how the API renders it (docs/hetzner-api.md "Servers"). */
import { findHetznerImage, HETZNER_EMULATOR_LOCATIONS, SERVER_TYPES } from './catalog.js';

type Json = Record<string, unknown>;

/** A server as the emulator stores it. */
export interface HetznerServerRecord {
  id: number;
  name: string;
  status:
    | 'initializing'
    | 'starting'
    | 'running'
    | 'stopping'
    | 'off'
    | 'deleting'
    | 'migrating'
    | 'rebuilding';
  created: string;
  serverType: string;
  location: string;
  /** The catalog name of the image (a seeded server may carry any name). */
  image: string;
  labels: Record<string, string>;
  userData: string;
  ipv4: string;
  ipId: number;
  /** Bumped by each action so that transitions scheduled by an older action are ignored. */
  generation: number;
}

/** The server as the API renders it; `volumes` are the ids of the volumes attached to it. */
export function serverJson(server: HetznerServerRecord, volumes: number[]): Json {
  const type = SERVER_TYPES[server.serverType];
  const location = HETZNER_EMULATOR_LOCATIONS.find((candidate) => candidate.name === server.location);
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    created: server.created,
    public_net: {
      ipv4: {
        id: server.ipId,
        ip: server.ipv4,
        blocked: false,
        dns_ptr: `static.${server.ipv4}.clients.your-server.de`,
      },
      ipv6: null,
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: {
      name: server.serverType,
      cores: type?.cores ?? 1,
      memory: type?.memory ?? 1,
      disk: type?.disk ?? 10,
      cpu_type: 'shared',
    },
    datacenter: {
      name: `${server.location}-dc1`,
      location: location ?? { name: server.location },
    },
    image: imageJson(server.image),
    labels: server.labels,
    locked: false,
    protection: { delete: false, rebuild: false },
    included_traffic: 21_990_232_555_520,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    rescue_enabled: false,
    volumes,
    load_balancers: [],
    primary_disk_size: type?.disk ?? 10,
    placement_group: null,
  };
}

/** A seeded server may carry an image outside the catalog; it renders with what is known of it. */
function imageJson(name: string): Json {
  const image = findHetznerImage(name);
  if (image !== undefined) return { ...image };
  return { id: 0, name, type: 'system', os_flavor: 'unknown', os_version: null, description: name };
}
