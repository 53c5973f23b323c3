/** A Hetzner location object as the API renders it (docs/hetzner-api.md, "Volume object": `location`). */
export interface HetznerLocationRecord {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly country: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly network_zone: string;
}

/** The locations the emulator serves (docs/hetzner-api.md, "Sizes and locations"). */
export const HETZNER_EMULATOR_LOCATIONS: readonly HetznerLocationRecord[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
  },
  {
    id: 5,
    name: 'hil',
    description: 'Hillsboro, OR',
    country: 'US',
    city: 'Hillsboro, OR',
    latitude: 45.54222,
    longitude: -122.95161,
    network_zone: 'us-west',
  },
  {
    id: 6,
    name: 'sin',
    description: 'Singapore',
    country: 'SG',
    city: 'Singapore',
    latitude: 1.283333,
    longitude: 103.833333,
    network_zone: 'ap-southeast',
  },
];

/** A server type the emulator offers (docs/hetzner-api.md, "Sizes and locations"). */
export interface HetznerServerTypeSpec {
  readonly cores: number;
  /** GB. */
  readonly memory: number;
  /** GB. */
  readonly disk: number;
  /** Names of the locations that offer the type. */
  readonly locations: readonly string[];
}

/** The server types the emulator offers, by name, with where each is offered. */
export const SERVER_TYPES: Readonly<Record<string, HetznerServerTypeSpec>> = {
  cx23: { cores: 2, memory: 4, disk: 40, locations: ['fsn1', 'nbg1', 'hel1'] },
  cx33: { cores: 4, memory: 8, disk: 80, locations: ['fsn1', 'nbg1', 'hel1'] },
  cx43: { cores: 8, memory: 16, disk: 160, locations: ['fsn1', 'nbg1', 'hel1'] },
  cpx11: { cores: 2, memory: 2, disk: 40, locations: ['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin'] },
};

/** An image as the API renders it in `server.image` (the fields the emulator keeps). */
export interface HetznerImageRecord {
  readonly id: number;
  readonly name: string;
  /** `system` for a bare OS, `app` for a one-click app built on one. */
  readonly type: 'system' | 'app';
  readonly os_flavor: string;
  readonly os_version: string;
  readonly description: string;
}

/**
 * The public images the emulator offers. The ids of ubuntu-24.04, ubuntu-22.04 and debian-12 are the ones Hetzner's
 * clients and users refer to.
 */
export const HETZNER_EMULATOR_IMAGES: readonly HetznerImageRecord[] = [
  {
    id: 161547269,
    name: 'ubuntu-24.04',
    type: 'system',
    os_flavor: 'ubuntu',
    os_version: '24.04',
    description: 'Ubuntu 24.04',
  },
  {
    id: 67794396,
    name: 'ubuntu-22.04',
    type: 'system',
    os_flavor: 'ubuntu',
    os_version: '22.04',
    description: 'Ubuntu 22.04',
  },
  {
    id: 114690387,
    name: 'debian-12',
    type: 'system',
    os_flavor: 'debian',
    os_version: '12',
    description: 'Debian 12',
  },
  // UNCONFIRMED: the real id of debian-13 was not found; this one is the emulator's own.
  {
    id: 900_000_013,
    name: 'debian-13',
    type: 'system',
    os_flavor: 'debian',
    os_version: '13',
    description: 'Debian 13',
  },
  // The other public system images Hetzner lists (names as its images list gives them). UNCONFIRMED: their ids are
  // the emulator's own (900 000 000 + a running number), not Hetzner's.
  ...(
    [
      ['ubuntu-20.04', 'ubuntu', '20.04', 'Ubuntu 20.04'],
      ['debian-11', 'debian', '11', 'Debian 11'],
      ['centos-stream-9', 'centos', '9', 'CentOS Stream 9'],
      ['centos-stream-10', 'centos', '10', 'CentOS Stream 10'],
      ['rocky-9', 'rocky', '9', 'Rocky Linux 9'],
      ['rocky-10', 'rocky', '10', 'Rocky Linux 10'],
      ['alma-9', 'alma', '9', 'AlmaLinux 9'],
      ['alma-10', 'alma', '10', 'AlmaLinux 10'],
      ['fedora-42', 'fedora', '42', 'Fedora 42'],
      ['opensuse-15', 'opensuse', '15', 'openSUSE Leap 15'],
    ] as const
  ).map(
    ([name, flavor, version, description], index): HetznerImageRecord => ({
      id: 900_000_100 + index,
      name,
      type: 'system',
      os_flavor: flavor,
      os_version: version,
      description,
    }),
  ),
  // The "Docker CE" app (Ubuntu 24.04 with Docker). Id, description and os_version as a server-create response
  // recorded in production (2025-07-10) renders it: the API reports no OS version for app images.
  {
    id: 40093247,
    name: 'docker-ce',
    type: 'app',
    os_flavor: 'ubuntu',
    os_version: 'unknown',
    description: 'docker-ce',
  },
];

/** The catalog image named `reference`, or with that id (a number or a string of digits). */
export function findHetznerImage(reference: string | number): HetznerImageRecord | undefined {
  const id =
    typeof reference === 'number' ? reference : /^\d+$/.test(reference) ? Number(reference) : undefined;
  return HETZNER_EMULATOR_IMAGES.find((image) =>
    id === undefined ? image.name === reference : image.id === id,
  );
}
