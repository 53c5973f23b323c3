/**
 * The key prefix of the marker entry that stands for an ambiguous label: a key the raw metadata carries twice
 * (`env=a` and `env=b` on one Scaleway server) is replaced by `{ [prefix + key]: 'true' }`. SAM's providers use the
 * same marker, so its orphan sweep reads ours unchanged. No label may be set with this prefix, and no filter on it
 * matches.
 */
export const AMBIGUOUS_LABEL_PREFIX = '__sam_internal_ambiguous_label__';

/**
 * True when `key` was ambiguous in the raw metadata of the resource these labels came from: an ownership check
 * must then treat the resource as not proven to be anyone's.
 */
export function hasAmbiguousLabel(labels: Readonly<Record<string, string>>, key: string): boolean {
  return (
    Object.hasOwn(labels, `${AMBIGUOUS_LABEL_PREFIX}${key}`) &&
    labels[`${AMBIGUOUS_LABEL_PREFIX}${key}`] === 'true'
  );
}

/** True when `key` is reserved for the ambiguity marker, so a caller may neither set nor filter on it. */
export function isReservedLabelKey(key: string): boolean {
  return key.startsWith(AMBIGUOUS_LABEL_PREFIX);
}

/**
 * Labels from `key=value` pairs, as read from a provider's raw metadata. A pair whose key appears more than once
 * becomes the ambiguity marker; a key carrying the marker's prefix is dropped (only this function writes markers).
 */
export function labelsFromPairs(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const values = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const [key, value] of pairs) {
    if (isReservedLabelKey(key)) continue;
    if (values.has(key)) ambiguous.add(key);
    else values.set(key, value);
  }
  // Built from entries, so that every key (`__proto__` included) becomes an own property.
  return Object.fromEntries(
    [...values].map(([key, value]) =>
      ambiguous.has(key) ? [`${AMBIGUOUS_LABEL_PREFIX}${key}`, 'true'] : [key, value],
    ),
  );
}

/**
 * Whether `labels` carry every entry of `filter` with exactly that value. A marker never matches: its key is reserved
 * (filters on it are refused as input), and the ambiguous key itself is absent.
 */
export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  filter: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(filter).every(
    ([key, value]) => !isReservedLabelKey(key) && Object.hasOwn(labels, key) && labels[key] === value,
  );
}
