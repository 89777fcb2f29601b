/**
 * Purges and deletes, with their audit trail: every one (through the API, the router's methods or the
 * schedule) is an event (`purged`, `deployment-deleted`) and a log line saying who, what policy, how many.
 */
import type { DeletedEvent, DeploymentEvents, DeploymentRecord, DeploymentStore, Logger, PurgeEvent, PurgePolicy, PurgeResult } from '../types';
import { DeploymentError } from '../http/errors';
import { checkPurgePolicy, DEFAULT_PURGE_SAMPLE, mergePurgeResults } from '../store/purge';

export const PURGED_EVENT = 'purged';
export const DELETED_EVENT = 'deployment-deleted';

function audit(logger: Logger, message: string, meta: Record<string, unknown>): void {
  (logger.info ?? logger.warn).call(logger, `package-deployments: ${message}`, meta);
}

/** The policy in one line, for the log. */
export function describePolicy(p: PurgePolicy): string {
  const parts: string[] = [];
  if (p.feedName !== undefined) parts.push(`feed=${JSON.stringify(p.feedName)}`);
  if (p.groupName !== undefined) parts.push(`group=${JSON.stringify(p.groupName)}`);
  if (p.packageName !== undefined) parts.push(`package=${JSON.stringify(p.packageName)}`);
  if (p.target !== undefined) parts.push(`target=${JSON.stringify(p.target)}`);
  if (p.keepLatest !== undefined) parts.push(`keepLatest=${p.keepLatest}`);
  if (p.before !== undefined) parts.push(`before=${p.before.toISOString()}`);
  if (p.keepPrevious) parts.push('keepPrevious');
  return parts.join(' ');
}

function emit(events: DeploymentEvents, logger: Logger, name: string, payload: unknown): void {
  try {
    events.emit(name, payload);
  } catch (err) {
    logger.error(`package-deployments: a "${name}" listener threw.`, { error: String(err) });
  }
}

export interface Auditor {
  purge(policy: PurgePolicy, by: string): Promise<PurgeResult>;
  deleteRecord(id: string, by: string): Promise<DeploymentRecord | undefined>;
}

export function createAuditor(store: DeploymentStore, events: DeploymentEvents, logger: Logger): Auditor {
  return {
    async purge(policy, by) {
      if (!store.purge) throw new DeploymentError(501, 'internal', 'This store cannot purge: it has no purge() method (createKnexStore() has one).');
      checkPurgePolicy(policy);
      // One purge may take several store calls, each within its time budget (see PurgeResult.next).
      const sampleSize = policy.sampleSize ?? DEFAULT_PURGE_SAMPLE;
      let result = await store.purge(policy);
      while (result.next) {
        const more = await store.purge({ ...policy, resume: result.next, sampleSize: Math.max(0, sampleSize - result.sample.length) });
        result = mergePurgeResults(result, more);
      }
      const { sample: _sample, ...counts } = result;
      const outcome = result.dryRun ? `${result.matched} record(s) would be deleted` : `${result.matched} record(s) matched, ${result.deleted} deleted`;
      audit(logger, `${result.dryRun ? 'purge dry run' : 'purge'} by "${by}" (${describePolicy(policy)}): ${outcome}.`, { by, dryRun: result.dryRun, matched: result.matched, deleted: result.deleted });
      const event: PurgeEvent = { by, policy, result: counts };
      emit(events, logger, PURGED_EVENT, event);
      return result;
    },
    async deleteRecord(id, by) {
      if (!store.deleteRecord) throw new DeploymentError(501, 'internal', 'This store cannot delete records: it has no deleteRecord() method (createKnexStore() has one).');
      const record = await store.deleteRecord(id);
      if (record) {
        audit(logger, `record ${id} (${record.feedName}/${record.groupName ? `${record.groupName}/` : ''}${record.packageName} ${record.version} on ${record.target}) deleted by "${by}".`, { by, id });
        const event: DeletedEvent = { by, record };
        emit(events, logger, DELETED_EVENT, event);
      }
      return record;
    },
  };
}
