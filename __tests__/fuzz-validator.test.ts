/**
 * Property-based tests of the standalone validator: whatever it is handed, it answers (never throws),
 * accepts exactly what the contract allows, and never lets an input reach Object.prototype.
 */
import fc from 'fast-check';
import { DEFAULT_LIMITS, validateDeployment, type FieldLimits } from '../lib';
import { rootKeys } from '../lib/record/json-keys';

const RUNS = { numRuns: 150 };

const REQUIRED = ['Application', 'Description', 'Target', 'FeedName', 'PackageName', 'Version'] as const;
const OPTIONAL_TEXT = ['GroupName', 'UserName'] as const;
const ALL = [...REQUIRED, ...OPTIONAL_TEXT, 'Url', 'Date'] as const;
type Field = (typeof ALL)[number];

const SQL = ["' OR '1'='1", "'; DROP TABLE package_deployments; --", '" OR ""="', '\\', '%', '_', '`', '$1', "1); DELETE FROM package_deployments WHERE (1=1"];

/** Any code unit, control characters, NUL and lone surrogates included. */
const anyChar = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

/** Strings a hostile or careless client might send in a text field. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: anyChar, maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 10 }), controlChar, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b),
  fc.constantFrom(...SQL),
  fc.constantFrom('', ' ', '\t', ' \r\n ', '\u00a0', '\ufeff'),
  fc.constantFrom(5000, 70_000).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 4200 }).map((n) => '\u{1F680}'.repeat(n)),
);

/** Values of the wrong type where a string belongs. */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const URLS = ['https://ci.example/build/7', 'http://x.example', 'javascript:alert(1)', 'ftp://x.example/a', 'http://', '/relative', 'not a url', ''];
const DATES = ['2024-05-01T12:00:00Z', '2024-05-01', '2024-05-01T12:00:00+02:00', 'soon', '2024-13-45', '99999-01-01', '', '0000-01-01'];

function codePoints(s: string): number {
  return [...s].length;
}
const hasLoneSurrogate = (s: string) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/**
 * An independent model of the contract: is this value acceptable for this field, and what is stored?
 * Returns `{ ok: true, value }` (value `undefined` = absent) or `{ ok: false }`.
 */
function model(field: Field, present: boolean, raw: unknown): { ok: boolean; value?: string } {
  const required = (REQUIRED as readonly string[]).includes(field);
  if (!present) return { ok: !required };
  if (typeof raw !== 'string') return { ok: false };
  const value = raw.trim();
  if (value === '' && !required) return { ok: true, value: undefined };
  if (value === '' && field !== 'Description') return { ok: false };
  if (field === 'Date') return { ok: DATES.slice(0, 3).includes(value), value };
  const limit = DEFAULT_LIMITS[field as keyof FieldLimits];
  if (codePoints(value) > limit) return { ok: false };
  const control = field === 'Description' ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  if (control.test(value)) return { ok: false };
  if (hasLoneSurrogate(value)) return { ok: false };
  if (field === 'Url') return { ok: URLS.slice(0, 2).includes(value), value };
  return { ok: true, value };
}

const valueFor = (field: Field) =>
  field === 'Url'
    ? fc.oneof(fc.constantFrom(...URLS), wrongType)
    : field === 'Date'
      ? fc.oneof(fc.constantFrom(...DATES), wrongType)
      : fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: wrongType });

/** A deployment-like input: each field absent or present, under a random casing of its name. */
const input = fc.record(
  Object.fromEntries(ALL.map((f) => [f, fc.option(fc.tuple(fc.mixedCase(fc.constant(f)), valueFor(f)), { freq: 4 })])) as Record<Field, fc.Arbitrary<[string, unknown] | null>>,
);

function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

describe('validateDeployment under random input', () => {
  const before = prototypeSnapshot();
  afterAll(() => {
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws, on any JSON value or any JavaScript value at all', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true })), (value) => {
        const result = validateDeployment(value);
        if (result.ok) expect(typeof result.deployment.target).toBe('string');
        else {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) expect(typeof p.message).toBe('string');
        }
      }),
      RUNS,
    );
  });

  it('accepts exactly what the contract allows and stores the trimmed text (random casing, hostile values, wrong types)', () => {
    fc.assert(
      fc.property(input, (fields) => {
        const body: Record<string, unknown> = {};
        for (const f of ALL) if (fields[f]) body[fields[f]![0]] = fields[f]![1];
        const expected = Object.fromEntries(ALL.map((f) => [f, model(f, fields[f] !== null, fields[f]?.[1])])) as Record<Field, { ok: boolean; value?: string }>;
        const shouldPass = ALL.every((f) => expected[f].ok);
        const result = validateDeployment(body, { receivedAt: new Date('2024-01-01T00:00:00Z') });
        if (!shouldPass) {
          expect(result.ok).toBe(false);
          const failing = ALL.filter((f) => !expected[f].ok);
          // Every field the model refuses is named by a problem.
          for (const f of failing) expect(result.problems!.map((p) => p.field)).toContain(f);
          return;
        }
        expect(result.problems).toBeUndefined();
        const d = result.deployment!;
        expect(d.application).toBe(expected.Application.value);
        expect(d.description).toBe(expected.Description.value);
        expect(d.target).toBe(expected.Target.value);
        expect(d.feedName).toBe(expected.FeedName.value);
        expect(d.packageName).toBe(expected.PackageName.value);
        expect(d.version).toBe(expected.Version.value);
        expect(d.groupName).toBe(expected.GroupName.value);
        expect(d.userName).toBe(expected.UserName.value ?? 'Anonymous');
        expect(d.url).toBe(expected.Url.value);
        expect(d.date.toISOString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }),
      RUNS,
    );
  });

  it('refuses a field given twice in any two case variants, naming it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.mixedCase(fc.constant('x')), fc.mixedCase(fc.constant('y')), (field, a, b) => {
        const first = a === 'x' ? field.toLowerCase() : field.toUpperCase();
        const second = b === 'y' ? field : field.toLowerCase() === first ? field.toUpperCase() : field.toLowerCase();
        fc.pre(first !== second);
        const body = { Application: 'a', Description: '', Target: 't', FeedName: 'f', PackageName: 'p', Version: '1', [first]: 'v1', [second]: 'v2' };
        const result = validateDeployment(body);
        expect(result.ok).toBe(false);
        expect(result.problems!.some((p) => p.field === field && /given more than once/.test(p.message))).toBe(true);
      }),
      RUNS,
    );
  });

  it('__proto__, constructor and prototype keys (as JSON.parse makes them) neither pollute nor count as fields', () => {
    const poison = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf');
    fc.assert(
      fc.property(fc.array(poison, { minLength: 1, maxLength: 4 }), fc.jsonValue(), fc.boolean(), (keys, value, valid) => {
        const base = valid ? '"Application":"a","Description":"","Target":"t","FeedName":"f","PackageName":"p","Version":"1",' : '';
        const nested = JSON.stringify({ polluted: value ?? 1 });
        const text = `{${base}${keys.map((k) => `"${k}":${nested}`).join(',')}}`;
        const parsed = JSON.parse(text);
        const result = validateDeployment(parsed);
        expect(result.ok).toBe(valid);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
        if (result.ok) expect(Object.getPrototypeOf(result.deployment)).toBe(Object.prototype);
      }),
      RUNS,
    );
  });

  it('refuses a lone UTF-16 surrogate (JSON "\\ud800"), which a database would silently turn into U+FFFD', () => {
    const body = JSON.parse('{"Application":"a\\ud800","Description":"\\udc00x","Target":"t\\ud83d\\ude80","FeedName":"f","PackageName":"p","Version":"1"}');
    const result = validateDeployment(body);
    expect(result.problems).toEqual([
      { field: 'Application', message: 'must be valid Unicode text (it holds an unpaired surrogate such as \\ud800).', kind: 'bad_unicode' },
      { field: 'Description', message: 'must be valid Unicode text (it holds an unpaired surrogate such as \\ud800).', kind: 'bad_unicode' },
    ]);
  });

  it('deeply nested values are refused as the wrong type, without recursion trouble', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.integer({ min: 1, max: 20_000 }), (field, depth) => {
        const nested = JSON.parse('['.repeat(depth) + ']'.repeat(depth));
        const body = { Application: 'a', Description: '', Target: 't', FeedName: 'f', PackageName: 'p', Version: '1', [field]: nested };
        const result = validateDeployment(body);
        expect(result.ok).toBe(false);
        expect(result.problems!.map((p) => p.field)).toContain(field);
      }),
      { numRuns: 30 },
    );
  });
});

describe('rootKeys (duplicate JSON key detection in the body parser)', () => {
  it('finds every root key in order, duplicates included, whatever the values and spacing hold', () => {
    const space = fc.constantFrom('', ' ', '\n', '\r\n\t ');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), space), { maxLength: 8 }),
        space,
        (pairs, outer) => {
          const text = `${outer}{${pairs.map(([k, v, s]) => `${s}${JSON.stringify(k)}${s}:${s}${JSON.stringify(v)}${s}`).join(',')}}${outer}`;
          JSON.parse(text); // valid JSON, as the body parser checks first
          expect(rootKeys(text)).toEqual(pairs.map(([k]) => k));
        },
      ),
      RUNS,
    );
  });

  it('finds nothing in a root that is not an object', () => {
    for (const text of ['[{"a":1},{"a":2}]', '"{\\"a\\":1,\\"a\\":2}"', '12', 'null']) expect(rootKeys(text)).toEqual([]);
  });
});
