/**
 * A provider's creation time as ISO 8601 UTC with milliseconds, so that the same instant reads byte-identical
 * whichever endpoint returned it (SAM's orphan sweep compares `createdAt` of `listVMs` and `getVM`). Text that is
 * not a date with a time zone is returned as is: it is still the same text from every endpoint.
 */
export function normalizeTimestamp(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return '';
  const text = raw.trim();
  // Only full timestamps with an explicit zone: a zone-less one would be read in the machine's local time.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return raw;
  const time = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(time) ? raw : new Date(time).toISOString();
}
