import type { ScalewayZone } from './catalog.js';
import {
  catalogImage,
  SCALEWAY_CATALOG_IMAGES,
  SCALEWAY_MARKETPLACE_LABELS,
  SCALEWAY_PUBLIC_IMAGES_ORGANIZATION,
  type ScalewayCatalogImage,
  type ScalewayLocalImageType,
  type ScalewayServerTypeSpec,
} from './catalog.js';
import { invalidArguments, notFound } from './errors.js';
import type { ScalewayVolumeType } from './records.js';
import { splitList } from './request-body.js';

/** Images: the fixed catalogue of zone-local images, read by Instance and Marketplace (docs/scaleway-api.md §10). */

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOCAL_IMAGE_TYPES = ['instance_local', 'instance_sbs'];
const LOCAL_IMAGE_ORDERS = ['type_asc', 'type_desc', 'created_at_asc', 'created_at_desc'];

/**
 * §10.2: the image of a server create. A UUID must name an image of this zone (else 404 `instance_image`); a label
 * resolves to the first local image of the zone whose `compatible_commercial_types` has the type, SBS by default.
 */
export function resolveServerImage(
  zone: ScalewayZone,
  reference: string,
  spec: ScalewayServerTypeSpec,
  rootVolumeType: ScalewayVolumeType | undefined,
): ScalewayCatalogImage {
  if (UUID_PATTERN.test(reference)) {
    const image = catalogImage(reference.toLowerCase());
    if (image === undefined || image.zone !== zone) throw notFound('instance_image', reference);
    if (!image.compatibleCommercialTypes.includes(spec.name)) {
      // UNCONFIRMED (docs/scaleway-api.md §4.1): the refusal of an image the type cannot boot was not recorded.
      throw invalidArguments([
        {
          argument_name: 'image',
          reason: 'constraint',
          help_message: `image ${image.id} is not compatible with commercial type ${spec.name}`,
        },
      ]);
    }
    return image;
  }
  const wanted: ScalewayLocalImageType = rootVolumeType === 'l_ssd' ? 'instance_local' : 'instance_sbs';
  const candidates = SCALEWAY_CATALOG_IMAGES.filter(
    (image) => image.zone === zone && image.label === reference,
  );
  // UNCONFIRMED (docs/scaleway-api.md §4.1): an unknown label is answered like an unknown image UUID.
  if (candidates.length === 0) throw notFound('instance_image', reference);
  const image = candidates.find(
    (candidate) => candidate.type === wanted && candidate.compatibleCommercialTypes.includes(spec.name),
  );
  if (image === undefined) {
    throw invalidArguments([
      {
        argument_name: 'image',
        reason: 'constraint',
        help_message: `couldn't find a local image for label ${reference} in zone ${zone} and commercial type ${spec.name}`,
      },
    ]);
  }
  return image;
}

/** The local image a seeded server boots: `label` in `zone`, of the root volume's kind, bootable by the type. */
export function seedImage(
  zone: ScalewayZone,
  label: string,
  spec: ScalewayServerTypeSpec,
  volumeType: ScalewayVolumeType,
): ScalewayCatalogImage {
  const wanted: ScalewayLocalImageType = volumeType === 'l_ssd' ? 'instance_local' : 'instance_sbs';
  const image = SCALEWAY_CATALOG_IMAGES.find(
    (candidate) =>
      candidate.zone === zone &&
      candidate.label === label &&
      candidate.type === wanted &&
      candidate.compatibleCommercialTypes.includes(spec.name),
  );
  if (image === undefined) throw new Error(`no ${wanted} image ${label} in ${zone} for ${spec.name}`);
  return image;
}

/** `GET /instance/v1/zones/{zone}/images` filters (docs/scaleway-api.md §8.2, §10.3); paging by the caller. */
export function listInstanceImages(zone: ScalewayZone, query: URLSearchParams): ScalewayCatalogImage[] {
  const name = query.get('name')?.toLowerCase();
  const arch = query.get('arch');
  const isPublic = query.get('public');
  const owner = query.get('project') ?? query.get('organization');
  const tags = splitList(query.get('tags'));
  return SCALEWAY_CATALOG_IMAGES.filter(
    (image) =>
      image.zone === zone &&
      (name === undefined || image.name.toLowerCase().includes(name)) &&
      (arch === null || image.arch === arch) &&
      (isPublic === null || isPublic === 'true') &&
      (owner === null || owner === SCALEWAY_PUBLIC_IMAGES_ORGANIZATION) &&
      tags.length === 0,
  );
}

/** `GET /instance/v1/zones/{zone}/images/{id}`: 404 `instance_image` outside its zone. */
export function instanceImage(zone: ScalewayZone, id: string): ScalewayCatalogImage {
  const image = catalogImage(id.toLowerCase());
  if (image === undefined || image.zone !== zone) throw notFound('instance_image', id);
  return image;
}

/** `GET /marketplace/v2/local-images` filters and order (docs/scaleway-api.md §10.1); paging by the caller. */
export function listLocalImages(query: URLSearchParams): ScalewayCatalogImage[] {
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
  return images;
}

/** `GET /marketplace/v2/local-images/{id}`. */
export function localImage(id: string): ScalewayCatalogImage {
  const image = catalogImage(id.toLowerCase());
  // UNCONFIRMED (docs/scaleway-api.md §10.1): the resource name of an unknown local image was not recorded.
  if (image === undefined) throw notFound('MarketplaceLocalImage', id);
  return image;
}
