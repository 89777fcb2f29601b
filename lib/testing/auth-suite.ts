/**
 * The AuthAdapter conformance suite: what the library relies on from an auth adapter, as jest tests.
 * Give it the adapter and credentials it should accept and refuse:
 * `runAuthAdapterSuite('my auth', () => adapter, { feed: 'npm', recordKey: '...', unknownKey: '...' })`.
 */
import type { AuthAdapter, Credentials, Principal, Privilege } from '../types';
import { jestGlobals } from './jest-globals';

export interface AuthSuiteFixture {
  /** A feed the keys below are about. Required. */
  feed: string;
  /** An API key that may record and read on `feed`. Required. */
  recordKey: string;
  /** A key the adapter does not know. Required. */
  unknownKey: string;
  /** A key that may read but not record on `feed`, if the adapter has such keys. */
  readOnlyKey?: string;
  /** A feed `recordKey` may NOT touch, if keys can be scoped to feeds. */
  otherFeed?: string;
  /** What anonymous callers may do on `feed`. Defaults to nothing. */
  anonymous?: readonly Privilege[];
  /** Milliseconds each test may take. Defaults to 30000. */
  timeout?: number;
  /** Close the adapter after the suite. Defaults to `true`. */
  close?: boolean;
}

const RECORD: Privilege = 'Feeds_DownloadPackage';
const VIEW: Privilege = 'Feeds_ViewPackage';

/** A request as the adapter sees it (adapters never write a response: they get none). */
function requestFor(credentials: Credentials | null): never {
  const headers: Record<string, string> = {};
  if (credentials?.type === 'apiKey') headers['x-apikey'] = credentials.key;
  return { method: 'POST', url: '/api/package-deployment/', originalUrl: '/api/package-deployment/', headers, body: {}, query: {} } as never;
}

export function runAuthAdapterSuite(name: string, makeAdapter: () => AuthAdapter | Promise<AuthAdapter>, fixture: AuthSuiteFixture): void {
  const { describe, it, beforeAll, afterAll, expect } = jestGlobals('runAuthAdapterSuite');
  const timeout = fixture.timeout ?? 30_000;
  describe(`AuthAdapter conformance: ${name}`, () => {
    let auth: AuthAdapter;
    const key = (k: string): Credentials => ({ type: 'apiKey', key: k, source: 'header' });
    const authenticate = async (c: Credentials | null) => auth.authenticate(c, requestFor(c));

    beforeAll(async () => {
      auth = await makeAdapter();
      await auth.init?.();
    }, timeout);
    afterAll(async () => {
      if (fixture.close !== false) await auth?.close?.();
    }, timeout);

    it('has authenticate() and authorize()', () => {
      expect(typeof auth.authenticate).toBe('function');
      expect(typeof auth.authorize).toBe('function');
    });

    it('a known key is a principal with a name, allowed to record and read on the feed', async () => {
      const principal = await authenticate(key(fixture.recordKey));
      expect(!!principal && typeof principal === 'object' && typeof (principal as Principal).name === 'string' && (principal as Principal).name !== '').toBe(true);
      expect(await auth.authorize(principal as Principal, RECORD, fixture.feed)).toBe(true);
      expect(await auth.authorize(principal as Principal, VIEW, fixture.feed)).toBe(true);
    }, timeout);

    it('an unknown key is refused (false), never treated as anonymous (null)', async () => {
      expect(await authenticate(key(fixture.unknownKey))).toBe(false);
      expect(await authenticate(key(''))).toBe(false);
    }, timeout);

    it('no credentials: anonymous (null), with only what is granted to anonymous callers', async () => {
      expect(await authenticate(null)).toBe(null);
      const granted = fixture.anonymous ?? [];
      expect(await auth.authorize(null, RECORD, fixture.feed)).toBe(granted.includes(RECORD));
      expect(await auth.authorize(null, VIEW, fixture.feed)).toBe(granted.includes(VIEW));
    }, timeout);

    it('a read-only key reads but does not record', async () => {
      if (fixture.readOnlyKey === undefined) return;
      const principal = (await authenticate(key(fixture.readOnlyKey))) as Principal;
      expect(await auth.authorize(principal, VIEW, fixture.feed)).toBe(true);
      expect(await auth.authorize(principal, RECORD, fixture.feed)).toBe(false);
    }, timeout);

    it('a key scoped to its feed touches no other feed', async () => {
      if (fixture.otherFeed === undefined) return;
      const principal = (await authenticate(key(fixture.recordKey))) as Principal;
      expect(await auth.authorize(principal, RECORD, fixture.otherFeed)).toBe(false);
      expect(await auth.authorize(principal, VIEW, fixture.otherFeed)).toBe(false);
    }, timeout);

    it('an unknown privilege is never granted', async () => {
      const principal = (await authenticate(key(fixture.recordKey))) as Principal;
      expect(await auth.authorize(principal, 'Feeds_DeletePackage', fixture.feed)).toBe(false);
    }, timeout);
  });
}
