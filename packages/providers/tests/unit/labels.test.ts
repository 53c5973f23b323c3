import { describe, expect, it } from 'vitest';
import {
  AMBIGUOUS_LABEL_PREFIX,
  hasAmbiguousLabel,
  isReservedLabelKey,
  labelsFromPairs,
  matchesLabels,
} from '../../src/labels.js';
import { normalizeTimestamp } from '../../src/timestamps.js';

const marker = (key: string) => `${AMBIGUOUS_LABEL_PREFIX}${key}`;

describe('AMBIGUOUS_LABEL_PREFIX', () => {
  it("is SAM's marker prefix", () => {
    expect(AMBIGUOUS_LABEL_PREFIX).toBe('__sam_internal_ambiguous_label__');
  });
});

describe('labelsFromPairs', () => {
  it('turns key=value pairs into labels', () => {
    expect(
      labelsFromPairs([
        ['team', 'a'],
        ['workspace', '42'],
        ['empty', ''],
      ]),
    ).toEqual({ team: 'a', workspace: '42', empty: '' });
  });

  it('accepts any iterable of pairs, e.g. a Map or Object.entries', () => {
    expect(labelsFromPairs(new Map([['team', 'a']]))).toEqual({ team: 'a' });
    expect(labelsFromPairs(Object.entries({ env: 'prod' }))).toEqual({ env: 'prod' });
    expect(labelsFromPairs([])).toEqual({});
  });

  it('replaces a key present twice by the ambiguity marker, never by one of its values', () => {
    const labels = labelsFromPairs([
      ['env', 'a'],
      ['team', 't'],
      ['env', 'b'],
    ]);
    expect(labels).toEqual({ team: 't', [marker('env')]: 'true' });
    expect(Object.hasOwn(labels, 'env')).toBe(false);
  });

  it('treats a key repeated with the same value as ambiguous too', () => {
    expect(
      labelsFromPairs([
        ['env', 'a'],
        ['env', 'a'],
      ]),
    ).toEqual({ [marker('env')]: 'true' });
  });

  it('treats a key present three times as one ambiguous key', () => {
    expect(
      labelsFromPairs([
        ['env', 'a'],
        ['env', 'b'],
        ['env', 'c'],
      ]),
    ).toEqual({ [marker('env')]: 'true' });
  });

  it('drops a key carrying the marker prefix: only this function writes markers', () => {
    expect(
      labelsFromPairs([
        [marker('env'), 'true'],
        [AMBIGUOUS_LABEL_PREFIX, 'x'],
        ['team', 'a'],
      ]),
    ).toEqual({ team: 'a' });
  });

  it('does not let a forged marker of an unambiguous key hide its real value', () => {
    const labels = labelsFromPairs([
      ['env', 'prod'],
      [marker('env'), 'true'],
    ]);
    expect(labels).toEqual({ env: 'prod' });
    expect(hasAmbiguousLabel(labels, 'env')).toBe(false);
  });

  it('keeps keys that only look like the prefix', () => {
    expect(labelsFromPairs([['sam_internal_ambiguous_label__env', 'x']])).toEqual({
      sam_internal_ambiguous_label__env: 'x',
    });
  });

  it('never lets a __proto__ pair change the prototype of the labels', () => {
    const labels = labelsFromPairs([
      ['__proto__', 'x'],
      ['team', 'a'],
    ]);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(labels.team).toBe('a');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('hasAmbiguousLabel', () => {
  it('is true for a key the raw metadata carried twice', () => {
    const labels = labelsFromPairs([
      ['env', 'a'],
      ['env', 'b'],
    ]);
    expect(hasAmbiguousLabel(labels, 'env')).toBe(true);
  });

  it('is false for an unambiguous key, an absent key and an empty record', () => {
    const labels = labelsFromPairs([
      ['env', 'a'],
      ['team', 'x'],
      ['team', 'y'],
    ]);
    expect(hasAmbiguousLabel(labels, 'env')).toBe(false);
    expect(hasAmbiguousLabel(labels, 'missing')).toBe(false);
    expect(hasAmbiguousLabel({}, 'env')).toBe(false);
  });

  it("reads SAM's marker format directly", () => {
    expect(hasAmbiguousLabel({ [marker('ws')]: 'true' }, 'ws')).toBe(true);
    expect(hasAmbiguousLabel({ [marker('ws')]: 'false' }, 'ws')).toBe(false);
    expect(hasAmbiguousLabel({ [marker('ws')]: '' }, 'ws')).toBe(false);
    expect(hasAmbiguousLabel({ [marker('ws')]: 'true' }, 'other')).toBe(false);
  });

  it('does not read an inherited marker', () => {
    const inherited = Object.create({ [marker('ws')]: 'true' }) as Record<string, string>;
    expect(hasAmbiguousLabel(inherited, 'ws')).toBe(false);
  });
});

describe('isReservedLabelKey', () => {
  it('is true for the prefix and anything starting with it', () => {
    expect(isReservedLabelKey(AMBIGUOUS_LABEL_PREFIX)).toBe(true);
    expect(isReservedLabelKey(marker('env'))).toBe(true);
    expect(isReservedLabelKey(`${AMBIGUOUS_LABEL_PREFIX}`)).toBe(true);
  });

  it('is false for ordinary keys and for keys that merely contain the prefix', () => {
    expect(isReservedLabelKey('env')).toBe(false);
    expect(isReservedLabelKey('')).toBe(false);
    expect(isReservedLabelKey(`x${AMBIGUOUS_LABEL_PREFIX}`)).toBe(false);
    expect(isReservedLabelKey('__sam_internal')).toBe(false);
    expect(isReservedLabelKey(AMBIGUOUS_LABEL_PREFIX.toUpperCase())).toBe(false);
  });
});

describe('matchesLabels', () => {
  const labels = { team: 'a', workspace: '42', empty: '' };

  it('matches when every filter entry is present with exactly that value', () => {
    expect(matchesLabels(labels, { team: 'a' })).toBe(true);
    expect(matchesLabels(labels, { team: 'a', workspace: '42' })).toBe(true);
    expect(matchesLabels(labels, { empty: '' })).toBe(true);
  });

  it('matches everything with an empty filter', () => {
    expect(matchesLabels(labels, {})).toBe(true);
    expect(matchesLabels({}, {})).toBe(true);
  });

  it('does not match a different value, a prefix of the value or a missing key', () => {
    expect(matchesLabels(labels, { team: 'b' })).toBe(false);
    expect(matchesLabels(labels, { workspace: '4' })).toBe(false);
    expect(matchesLabels(labels, { workspace: '42 ' })).toBe(false);
    expect(matchesLabels(labels, { team: 'A' })).toBe(false);
    expect(matchesLabels(labels, { team: 'a', other: 'x' })).toBe(false);
    expect(matchesLabels({}, { team: 'a' })).toBe(false);
  });

  it('does not match a missing key filtered with an empty value', () => {
    expect(matchesLabels({ team: 'a' }, { other: '' })).toBe(false);
  });

  it('never matches an ambiguous key, on its name or on its marker', () => {
    const ambiguous = labelsFromPairs([
      ['env', 'a'],
      ['env', 'b'],
      ['team', 'x'],
    ]);
    expect(matchesLabels(ambiguous, { env: 'a' })).toBe(false);
    expect(matchesLabels(ambiguous, { env: 'b' })).toBe(false);
    expect(matchesLabels(ambiguous, { [marker('env')]: 'true' })).toBe(false);
    expect(matchesLabels(ambiguous, { team: 'x' })).toBe(true);
  });

  it('never matches a reserved key, even when the labels carry it', () => {
    expect(matchesLabels({ [marker('env')]: 'true' }, { [marker('env')]: 'true' })).toBe(false);
  });

  it('does not match inherited properties', () => {
    expect(matchesLabels({}, { toString: 'x' })).toBe(false);
    const inherited = Object.create({ team: 'a' }) as Record<string, string>;
    expect(matchesLabels(inherited, { team: 'a' })).toBe(false);
  });
});

describe('normalizeTimestamp', () => {
  it.each([
    ['2024-05-01T10:20:30+00:00', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T10:20:30Z', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T10:20:30.123Z', '2024-05-01T10:20:30.123Z'],
    ['2024-05-01T10:20:30.123456+00:00', '2024-05-01T10:20:30.123Z'],
    ['2024-05-01T10:20:30.5+00:00', '2024-05-01T10:20:30.500Z'],
    ['2024-05-01T12:20:30+02:00', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T12:20:30+0200', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T05:20:30-0500', '2024-05-01T10:20:30.000Z'],
    ['2024-05-01T15:50:30.250+05:30', '2024-05-01T10:20:30.250Z'],
    ['2024-05-01T00:20:30+02:00', '2024-04-30T22:20:30.000Z'],
    ['2024-05-01T10:20Z', '2024-05-01T10:20:00.000Z'],
    ['2024-05-01T10:20:30z', '2024-05-01T10:20:30.000Z'],
    [' 2024-05-01T10:20:30Z\n', '2024-05-01T10:20:30.000Z'],
  ])('reads %j as %s', (raw, expected) => {
    expect(normalizeTimestamp(raw)).toBe(expected);
  });

  it('gives the same text for the same instant, whichever form an endpoint used', () => {
    const forms = [
      '2024-05-01T10:20:30Z',
      '2024-05-01T10:20:30+00:00',
      '2024-05-01T10:20:30.000000+00:00',
      '2024-05-01T12:20:30+0200',
      '2024-05-01T03:20:30-07:00',
    ];
    expect(new Set(forms.map(normalizeTimestamp))).toEqual(new Set(['2024-05-01T10:20:30.000Z']));
  });

  it.each([
    'not a date',
    '  junk  ',
    '2024-05-01T10:20:30',
    '2024-05-01T10:20:30.123456',
    '2024-05-01',
    '2024-05-01 10:20:30Z',
    '2024-13-45T10:20:30Z',
    '2024-05-01T10:20:30+2400',
    '2024-05-01T10:20:30+02',
    '1714558830',
    'Wed, 01 May 2024 10:20:30 GMT',
  ])('returns %j, which is not a zoned timestamp, as is', (raw) => {
    expect(normalizeTimestamp(raw)).toBe(raw);
  });

  it('returns an empty string for null, undefined and the empty string', () => {
    expect(normalizeTimestamp(null)).toBe('');
    expect(normalizeTimestamp(undefined)).toBe('');
    expect(normalizeTimestamp('')).toBe('');
  });
});
