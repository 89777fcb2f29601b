/**
 * Deleting one record by id (the delete API), with its target's current record kept right in the same
 * transaction: when the record was current there, the previous record becomes current, or the target has
 * no current row when none remains.
 */
import type { Knex } from 'knex';
import { isSqlite } from '../knex/dialect';
import type { DeploymentRecord } from '../types';
import { lockCurrent, repairCurrent } from './current-records';
import { retryDeadlocksOf } from './insert';
import { fromRow, type DeploymentRow } from './rows';
import { DEPLOYMENTS_TABLE } from './tables';

/** Deletes the record `id`; resolves to it, or `undefined` when there was none. */
export function deleteRecordById(db: Knex, id: number): Promise<DeploymentRecord | undefined> {
  return retryDeadlocksOf(() =>
    db.transaction(async (trx) => {
      // A locking read (PostgreSQL, MySQL/MariaDB): on MySQL a plain read would fix the transaction's
      // snapshot before the lock below, and the previous record would be looked for in that older view.
      const q = trx(DEPLOYMENTS_TABLE).where('id', id).first();
      const row = (await (isSqlite(db) ? q : q.forUpdate())) as DeploymentRow | undefined;
      if (!row) return undefined;
      // Taken before the delete: a writer's upsert on this target waits for our commit, or we for its.
      await lockCurrent(trx, row);
      const n = Number(await trx(DEPLOYMENTS_TABLE).where('id', id).delete());
      if (n === 0) return undefined;
      await repairCurrent(trx, [{ ...row, id }]);
      return fromRow(row);
    }),
  );
}
