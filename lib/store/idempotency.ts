/**
 * The knex store's side of `Idempotency-Key`: one row per (caller, key) in its own table, claimed by the
 * first request (a plain INSERT on the primary key, so two instances racing for a key cannot both win),
 * then settled with the answer to replay, or released when the first request failed so that the client
 * may retry with the same key. Expired rows are deleted lazily.
 */
import type { Knex } from 'knex';
import type { IdempotencyClaim, IdempotencyOutcome, IdempotencyState } from '../types';
import { IDEMPOTENCY_TABLE } from './tables';

interface KeyRow {
  id: string;
  fingerprint: string;
  claim: string;
  status: number;
  record_id: string | null;
  created_at: string;
  expires_at: string;
}

/** A primary-key violation on PostgreSQL (23505), MySQL/MariaDB (1062) or SQLite. */
function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown };
  return e?.code === '23505' || e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || /SQLITE_CONSTRAINT|UNIQUE constraint failed/i.test(String(e?.code ?? '') + String(e?.message ?? ''));
}

/** How often expired keys are swept, at most. */
const SWEEP_EVERY_MS = 60_000;

export function knexIdempotency(db: Knex) {
  let lastSweep = 0;

  async function sweep(now: Date): Promise<void> {
    if (now.getTime() - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now.getTime();
    await db(IDEMPOTENCY_TABLE).where('expires_at', '<', now.toISOString()).delete();
  }

  async function claim(c: IdempotencyClaim): Promise<IdempotencyState> {
    const now = c.now.toISOString();
    await sweep(c.now);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await db(IDEMPOTENCY_TABLE).insert({ id: c.id, fingerprint: c.fingerprint, claim: c.claim, status: 0, record_id: null, created_at: now, expires_at: c.expiresAt.toISOString() });
        return { state: 'claimed' };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const row = (await db(IDEMPOTENCY_TABLE).where('id', c.id).first()) as KeyRow | undefined;
      if (!row) continue; // released or expired meanwhile: try to claim it again
      if (row.expires_at < now) {
        await db(IDEMPOTENCY_TABLE).where({ id: c.id, expires_at: row.expires_at }).delete();
        continue;
      }
      if (Number(row.status) === 0) {
        // A first request that never finished (its process died): after `staleBefore` it is taken over.
        // The record's uid derives from the key, so even if that request did store it, it is not stored twice.
        if (row.created_at < c.staleBefore.toISOString() && row.fingerprint === c.fingerprint) {
          const taken = await db(IDEMPOTENCY_TABLE).where({ id: c.id, status: 0, claim: row.claim }).update({ created_at: now, claim: c.claim });
          if (Number(taken) === 1) return { state: 'claimed' };
          continue;
        }
        return { state: 'in_flight', fingerprint: row.fingerprint };
      }
      return { state: 'done', fingerprint: row.fingerprint, status: Number(row.status), ...(row.record_id ? { recordId: row.record_id } : {}) };
    }
    return { state: 'in_flight', fingerprint: c.fingerprint };
  }

  async function settle(id: string, claim: string, outcome: IdempotencyOutcome | null): Promise<void> {
    if (outcome === null) {
      await db(IDEMPOTENCY_TABLE).where({ id, claim, status: 0 }).delete();
      return;
    }
    await db(IDEMPOTENCY_TABLE).where({ id, claim }).update({ status: outcome.status, record_id: outcome.recordId ?? null });
  }

  return { claim, settle };
}
