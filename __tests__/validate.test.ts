import { DEFAULT_LIMITS, DEPLOYMENT_SCHEMA, validateDeployment } from '../lib';
import { parseDeploymentDate } from '../lib/record/deployment';

const base = {
  Application: 'ProfitCalc',
  Description: 'Deployed by Custom Release Server',
  Target: 'localhost',
  FeedName: 'DefaultNuGet',
  PackageName: 'Newtonsoft.Json',
  Version: '12.0.3',
};

describe('validateDeployment (standalone, no Express)', () => {
  it('normalises a valid record: trims, defaults UserName and Date', () => {
    const receivedAt = new Date('2024-05-01T10:00:00Z');
    const result = validateDeployment({ ...base, Target: '  web-01 \t' }, { receivedAt });
    expect(result).toEqual({
      ok: true,
      deployment: {
        application: 'ProfitCalc',
        description: 'Deployed by Custom Release Server',
        target: 'web-01',
        feedName: 'DefaultNuGet',
        packageName: 'Newtonsoft.Json',
        version: '12.0.3',
        userName: 'Anonymous',
        date: receivedAt,
        receivedAt,
      },
    });
  });

  it('matches field names case-insensitively', () => {
    const result = validateDeployment({
      application: 'A', DESCRIPTION: 'd', tArGeT: 't', feedName: 'F', packagename: 'P', VERSION: '1', groupname: 'g/h', username: 'alice',
    });
    expect(result.ok).toBe(true);
    expect(result.deployment).toMatchObject({ application: 'A', description: 'd', target: 't', feedName: 'F', packageName: 'P', version: '1', groupName: 'g/h', userName: 'alice' });
  });

  it('reports every missing required field, naming each', () => {
    const result = validateDeployment({});
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      { field: 'Application', message: 'is required.', kind: 'missing' },
      { field: 'Description', message: 'is required.', kind: 'missing' },
      { field: 'Target', message: 'is required.', kind: 'missing' },
      { field: 'FeedName', message: 'is required.', kind: 'missing' },
      { field: 'PackageName', message: 'is required.', kind: 'missing' },
      { field: 'Version', message: 'is required.', kind: 'missing' },
    ]);
  });

  it('accepts an empty Description but not an empty (or blank) Target', () => {
    expect(validateDeployment({ ...base, Description: '' }).ok).toBe(true);
    const result = validateDeployment({ ...base, Target: '   ' });
    expect(result.problems).toEqual([{ field: 'Target', message: 'must not be empty.', kind: 'empty' }]);
  });

  it('treats empty optional fields as absent', () => {
    const result = validateDeployment({ ...base, Url: '', GroupName: '', UserName: '', Date: '' }, { defaultUserName: 'ci-key' });
    expect(result.ok).toBe(true);
    expect(result.deployment).not.toHaveProperty('url');
    expect(result.deployment).not.toHaveProperty('groupName');
    expect(result.deployment!.userName).toBe('ci-key');
  });

  it('rejects wrong types, naming the field and the type', () => {
    const result = validateDeployment({ ...base, Version: 12, Target: ['a', 'b'], FeedName: null, Application: { x: 1 } });
    expect(result.problems).toEqual([
      { field: 'Application', message: 'must be a string, not an object.', kind: 'type' },
      { field: 'Target', message: 'must be a string, not a list (was the field sent more than once?).', kind: 'type' },
      { field: 'FeedName', message: 'must be a string, not null.', kind: 'type' },
      { field: 'Version', message: 'must be a string, not a number.', kind: 'type' },
    ]);
  });

  it('enforces a length limit per field with a clear message', () => {
    const result = validateDeployment({ ...base, PackageName: 'p'.repeat(201), Description: 'd'.repeat(4001) });
    expect(result.problems).toEqual([
      { field: 'Description', message: 'must be at most 4000 characters long (it has 4001).', kind: 'too_long' },
      { field: 'PackageName', message: 'must be at most 200 characters long (it has 201).', kind: 'too_long' },
    ]);
    expect(validateDeployment({ ...base, Target: 'abcdef' }, { limits: { Target: 5 } }).problems).toEqual([
      { field: 'Target', message: 'must be at most 5 characters long (it has 6).', kind: 'too_long' },
    ]);
  });

  it('refuses limits wider than the columns, and unknown limit names', () => {
    expect(() => validateDeployment(base, { limits: { Target: 10_000 } })).toThrow(/limits.Target must be a whole number from 1 to 200/);
    expect(() => validateDeployment(base, { limits: { Nope: 3 } as never })).toThrow(/not a field with a length limit/);
  });

  it('rejects control characters; Description may hold line breaks and tabs', () => {
    expect(validateDeployment({ ...base, Description: 'line 1\r\nline 2\tend' }).ok).toBe(true);
    expect(validateDeployment({ ...base, Target: 'web\u000001' }).problems).toEqual([
      { field: 'Target', message: 'must not contain control characters (such as NUL) or line breaks.', kind: 'control' },
    ]);
    expect(validateDeployment({ ...base, Description: 'a\u0000b' }).problems![0]!.field).toBe('Description');
  });

  it('parses Date as ISO 8601: no offset means UTC, offsets are converted', () => {
    const at = (Date: string) => validateDeployment({ ...base, Date }).deployment?.date.toISOString();
    expect(at('2024-05-01T12:30:00Z')).toBe('2024-05-01T12:30:00.000Z');
    expect(at('2024-05-01T12:30:00')).toBe('2024-05-01T12:30:00.000Z');
    expect(at('2024-05-01T12:30:00.123+02:00')).toBe('2024-05-01T10:30:00.123Z');
    expect(at('2024-05-01T12:30-0530')).toBe('2024-05-01T18:00:00.000Z');
    expect(at('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(at('2024-05-01 08:00:00')).toBe('2024-05-01T08:00:00.000Z');
  });

  it('rejects dates that are not ISO 8601, naming Date', () => {
    for (const bad of ['yesterday', '05/01/2024', '2024-13-01', '2024-02-30T00:00:00Z', '1714564800', 'T12:00']) {
      const result = validateDeployment({ ...base, Date: bad });
      expect(result.problems).toEqual([
        { field: 'Date', message: 'must be an ISO 8601 date such as 2024-05-01T12:00:00Z (no offset means UTC).', kind: 'bad_date' },
      ]);
    }
  });

  it('parses dates the same whatever the process time zone says', () => {
    expect(parseDeploymentDate('2024-03-10T02:30:00')!.toISOString()).toBe('2024-03-10T02:30:00.000Z');
  });

  it('keeps only absolute http(s) URLs', () => {
    expect(validateDeployment({ ...base, Url: 'https://buildmaster.example/a?b=1' }).deployment!.url).toBe('https://buildmaster.example/a?b=1');
    for (const bad of ['javascript:alert(1)', '/relative/path', 'ftp://host/x', 'http://', 'not a url']) {
      expect(validateDeployment({ ...base, Url: bad }).problems).toEqual([{ field: 'Url', message: 'must be an absolute http:// or https:// URL.', kind: 'bad_url' }]);
    }
  });

  it('ignores unknown fields and never copies credentials into the record', () => {
    const result = validateDeployment({ ...base, key: 'secret-1', API_Key: 'secret-2', Extra: 'x' });
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result.deployment)).not.toMatch(/secret/);
  });

  it('refuses a field given twice in different cases', () => {
    const result = validateDeployment({ ...base, version: '13.0.1' });
    expect(result.problems).toEqual([{ field: 'Version', message: 'given more than once (as "Version" and "version"); send it once.', kind: 'duplicate' }]);
  });

  it('is safe with __proto__ and constructor keys', () => {
    const input = JSON.parse(`{"__proto__": {"polluted": true}, "constructor": "x", ${JSON.stringify(base).slice(1)}`);
    expect(validateDeployment(input).ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects non-objects', () => {
    for (const input of [null, 'text', 42, [base]]) {
      expect(validateDeployment(input).ok).toBe(false);
    }
  });

  it('exports its JSON Schema with the default limits', () => {
    expect(DEPLOYMENT_SCHEMA).toMatchObject({
      type: 'object',
      required: ['Application', 'Description', 'Target', 'FeedName', 'PackageName', 'Version'],
      properties: { PackageName: { type: 'string', minLength: 1, maxLength: DEFAULT_LIMITS.PackageName } },
    });
  });
});
