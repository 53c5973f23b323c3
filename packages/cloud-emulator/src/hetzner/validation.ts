/** Checks of request bodies and query parameters of the Hetzner emulator. */

/** Hetzner's documented limits (docs/hetzner-api.md "Servers"). */
const MAX_USER_DATA_BYTES = 32 * 1024;
const LABEL_PART = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

/** Why a `POST /servers` body is invalid, or `undefined` when it is valid. */
export function validateCreate(body: Record<string, unknown>): string | undefined {
  const { name, server_type: serverType, image, labels, user_data: userData } = body;
  if (typeof name !== 'string' || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/.test(name)) {
    return 'invalid name: must be a valid hostname';
  }
  if (typeof serverType !== 'string') return 'server_type is required';
  if (!(typeof image === 'string' && image !== '') && !Number.isInteger(image)) return 'image is required';
  if (
    userData !== undefined &&
    (typeof userData !== 'string' || Buffer.byteLength(userData) > MAX_USER_DATA_BYTES)
  ) {
    return 'user_data must be a string of at most 32 KiB';
  }
  return validateLabels(labels);
}

/** Why a `labels` field is invalid (keys and values per docs/hetzner-api.md "Servers"), or `undefined`. */
export function validateLabels(labels: unknown): string | undefined {
  if (labels === undefined) return undefined;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    return 'labels must be an object';
  for (const [key, value] of Object.entries(labels)) {
    const keyName = key.slice(key.lastIndexOf('/') + 1);
    if (keyName === '' || !LABEL_PART.test(keyName) || typeof value !== 'string' || !LABEL_PART.test(value)) {
      return `invalid label ${key}`;
    }
  }
  return undefined;
}

/** docs/hetzner-api.md: comma means AND; `k=v`, `k==v`, `k!=v`, `k`, `!k`. */
export function labelSelector(
  selector: string,
): (resource: { readonly labels: Record<string, string> }) => boolean {
  const terms = selector
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .map((term): ((labels: Record<string, string>) => boolean) => {
      const notEqual = term.indexOf('!=');
      if (notEqual > 0) {
        const key = term.slice(0, notEqual);
        const value = term.slice(notEqual + 2);
        return (labels) => labels[key] !== value;
      }
      const equal = term.indexOf('=');
      if (equal > 0) {
        const key = term.slice(0, equal);
        const value = term.slice(term.startsWith('==', equal) ? equal + 2 : equal + 1);
        return (labels) => labels[key] === value;
      }
      if (term.startsWith('!')) {
        const key = term.slice(1);
        return (labels) => !(key in labels);
      }
      if (!LABEL_PART.test(term.slice(term.lastIndexOf('/') + 1))) throw new Error('invalid selector');
      return (labels) => term in labels;
    });
  return (resource) => terms.every((term) => term(resource.labels));
}

/** docs/hetzner-api.md "Volumes": sizes in GB, from 10 to 10 240 (10 TB). */
export const HETZNER_VOLUME_SIZE_LIMITS = { min: 10, max: 10_240 } as const;
/** docs/hetzner-api.md "Volumes": alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric, at most 64. */
const VOLUME_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** True for an integer number of GB within {@link HETZNER_VOLUME_SIZE_LIMITS}. */
export function isVolumeSize(size: unknown): size is number {
  return (
    Number.isInteger(size) &&
    (size as number) >= HETZNER_VOLUME_SIZE_LIMITS.min &&
    (size as number) <= HETZNER_VOLUME_SIZE_LIMITS.max
  );
}

/** True for a name a volume may carry. */
export function isVolumeName(name: unknown): name is string {
  return typeof name === 'string' && VOLUME_NAME.test(name);
}
