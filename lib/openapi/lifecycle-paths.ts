/**
 * A record's whole life in the OpenAPI document: the purge and delete routes (`Feeds_DeletePackage`), and
 * their schemas. (`Idempotency-Key` and `Removed` are on the record endpoint, in document.ts.)
 */
import { PURGE_FIELDS } from '../retention/purge-api';

type Errors = { badRequest: unknown; forbidden: unknown; notFound: unknown; serverError: unknown; unavailable: unknown };

export function lifecyclePaths(base: string, errors: Errors, security: unknown[]): Record<string, unknown> {
  const json = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: ref } } } });
  return {
    [`${base}/purge`]: {
      post: {
        operationId: 'purgeDeployments',
        summary: 'Applies a retention policy to one feed: a dry run (counts and a sample) unless "dryRun": false. Needs Feeds_DeletePackage on the feed.',
        description: 'Never deletes a target\'s current record (nor the one before it with keepPrevious). Deletes run in bounded batches; every purge is a `purged` event and a log line.',
        security,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/PurgeRequest' } } } },
        responses: { 200: json('What the purge did (or, a dry run, would do).', '#/components/schemas/PurgeResult'), 400: errors.badRequest, 403: errors.forbidden, 404: errors.notFound, 500: errors.serverError, 503: errors.unavailable },
      },
    },
    [`${base}/{id}`]: {
      delete: {
        operationId: 'deleteDeployment',
        summary: 'Deletes one record by id. Needs Feeds_DeletePackage on its feed.',
        security,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^\\d{1,18}$' } }],
        responses: {
          200: json('The deleted record.', '#/components/schemas/WireRecord'),
          400: errors.badRequest,
          403: errors.forbidden,
          404: { description: 'No record has this id.', content: { 'text/plain': { schema: { $ref: '#/components/schemas/ErrorText' } } } },
          500: errors.serverError,
          503: errors.unavailable,
        },
      },
    },
  };
}

export const LIFECYCLE_SCHEMAS: Record<string, unknown> = {
  PurgeRequest: {
    type: 'object',
    required: ['feed'],
    additionalProperties: false,
    description: `Fields: ${PURGE_FIELDS.join(', ')}. Give keepLatest and/or olderThan (or before).`,
    properties: {
      feed: { type: 'string' },
      group: { type: 'string' },
      package: { type: 'string' },
      target: { type: 'string' },
      keepLatest: { type: 'integer', minimum: 1, description: 'Records kept per package and target, newest first.' },
      olderThan: { type: 'string', description: 'Drop records older than this: "90d", "12h", "2w", "P90D".' },
      before: { type: 'string', description: 'Drop records deployed before this ISO 8601 date.' },
      keepPrevious: { type: 'boolean', description: 'Keep the record before each target\'s current one too.' },
      dryRun: { type: 'boolean', default: true },
      sampleSize: { type: 'integer', minimum: 0, maximum: 1000, default: 20 },
    },
  },
  PurgeResult: {
    type: 'object',
    required: ['dryRun', 'matched', 'deleted', 'scanned', 'byFeed', 'byPackage', 'sample'],
    properties: {
      dryRun: { type: 'boolean' },
      matched: { type: 'integer', minimum: 0 },
      deleted: { type: 'integer', minimum: 0 },
      scanned: { type: 'integer', minimum: 0 },
      byFeed: { type: 'array', items: { type: 'object', properties: { feedName: { type: 'string' }, count: { type: 'integer' } } } },
      byPackage: { type: 'array', items: { type: 'object', properties: { feedName: { type: 'string' }, groupName: { type: 'string' }, packageName: { type: 'string' }, count: { type: 'integer' } } } },
      sample: { type: 'array', items: { $ref: '#/components/schemas/WireRecord' } },
    },
  },
};
