/** The Scaleway zone used when none is configured. */
export const DEFAULT_SCALEWAY_ZONE = 'fr-par-1';
/** The Scaleway Marketplace image label new VMs boot when none is given (Ubuntu 24.04 LTS). */
export const DEFAULT_SCALEWAY_IMAGE_NAME = 'ubuntu_noble';
/** The Hetzner location used when none is configured. */
export const DEFAULT_HETZNER_DATACENTER = 'fsn1';
/** The Hetzner image new VMs boot when none is given: the Docker CE app (Ubuntu 24.04 with Docker preinstalled). */
export const DEFAULT_HETZNER_IMAGE = 'docker-ce';
