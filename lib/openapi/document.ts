/**
 * The OpenAPI 3.1 document of every endpoint the router serves: the record endpoint (JSON and form), the
 * read API and its exports, the advisories endpoint, the webhook admin routes (when configured), the
 * History pages, this document, the errors as `text/plain` and the
 * credentials as security schemes. Built from the same tables the code reads (fields, limits, read
 * parameters), so the two cannot drift apart; the tests hold real answers against it.
 */
import { optionNames, readOptions } from '../options';
import { DEFAULT_LIMITS, FIELDS } from '../record/deployment';
import { READ_PARAMETERS } from '../read/parameters';
import { RECORD_COLUMNS } from '../read/export';
import { MAX_PAGE_SIZE } from '../store/queries';
import { advisoryPaths, ADVISORY_SCHEMAS } from './advisory-paths';
import { webhookAdminPaths, WEBHOOK_SCHEMAS } from './webhook-paths';
import { lifecyclePaths, LIFECYCLE_SCHEMAS } from './lifecycle-paths';

/** Where the router serves the document, under the read API's path. */
export const OPENAPI_PATH = '/api/package-deployment/openapi.json';

export interface OpenApiDocumentOptions {
  /** The History pages' path (`historyPath`), or `false` for none. Defaults to `"/-/deployments"`. */
  historyPath?: string | false;
  /** The base URL the router is mounted at (the `servers` entry). Defaults to `"/"`. */
  serverUrl?: string;
  /** Include the webhook admin routes (the router has `webhooks`). Defaults to `false`. */
  webhooks?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

const text = (description: string) => ({ description, content: { 'text/plain': { schema: { $ref: '#/components/schemas/ErrorText' } } } });

const ERRORS = {
  badRequest: text('A field is missing, empty, too long, of the wrong type, or the body or query is malformed: every problem, one a line, naming the field or parameter.'),
  forbidden: text('Missing, unknown or unauthorized credentials: `The specified API key does not have the proper permissions to perform this action.` Nothing is stored.'),
  notFound: text('The feed is not in the server\'s catalogue; the text names it.'),
  tooLarge: text('The body is larger than the configured limit.'),
  unsupported: text('The Content-Type (or its charset) is not JSON or a form.'),
  serverError: text('An unexpected error: its message, never a stack trace.'),
  unavailable: {
    ...text('The store is unreachable; retry after `Retry-After` seconds. The text says "Nothing was recorded" when the write never reached the database, else that the record may have been stored (retry with the same Idempotency-Key to store it once).'),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } } },
  },
};

const PARAMETER_DOCS: Record<(typeof READ_PARAMETERS)[number], { description: string; schema: Record<string, unknown> }> = {
  feed: { description: 'The feed (case-insensitive, through the catalogue). Required unless the server lists its feeds.', schema: { type: 'string' } },
  group: { description: 'Group, scope or namespace; empty for records without one.', schema: { type: 'string' } },
  package: { description: 'The package name; `@scope/name` is read as group `@scope`, package `name`.', schema: { type: 'string' } },
  version: { description: 'Exact version.', schema: { type: 'string' } },
  range: { description: 'A version range in the feed\'s scheme (or `vers:`). Needs feed and package.', schema: { type: 'string' } },
  target: { description: 'Exact target.', schema: { type: 'string' } },
  targetPrefix: { description: 'Targets starting with this text.', schema: { type: 'string' } },
  application: { description: 'Exact application.', schema: { type: 'string' } },
  user: { description: 'Exact user name.', schema: { type: 'string' } },
  since: { description: 'Deployed at or after (ISO 8601; no offset means UTC).', schema: { type: 'string' } },
  until: { description: 'Deployed before (ISO 8601; no offset means UTC).', schema: { type: 'string' } },
  limit: { description: `Page size (JSON), or the most records exported. 1 to ${MAX_PAGE_SIZE}; JSON pages default to 100.`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE } },
  cursor: { description: 'The `nextCursor` of the previous page.', schema: { type: 'string' } },
  total: { description: 'Add `total` (the count of matching records) to a JSON answer.', schema: { type: 'boolean' } },
  format: { description: 'json (default), csv or ndjson; else read from Accept (text/csv, application/x-ndjson).', schema: { type: 'string', enum: ['json', 'csv', 'ndjson'] } },
};

function deploymentInput(form: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const limit = (DEFAULT_LIMITS as unknown as Record<string, number | undefined>)[f.name];
    properties[f.name] = {
      type: 'string',
      ...(limit !== undefined ? { maxLength: limit } : {}),
      ...(f.required && !f.mayBeEmpty ? { minLength: 1 } : {}),
      ...(f.name === 'Date' ? { description: 'ISO 8601; no offset means UTC. Defaults to the time received.' } : {}),
      ...(f.name === 'Url' ? { description: 'An absolute http(s) URL; empty means none.' } : {}),
      ...(f.name === 'UserName' ? { description: 'Defaults to the authenticated principal, else "Anonymous".' } : {}),
      ...(f.name === 'PackageName' ? { description: 'An npm scoped name (`@scope/name`) with no GroupName is stored as group `@scope`, package `name`.' } : {}),
    };
  }
  properties.Removed = form
    ? { type: 'string', enum: ['true', 'false'], description: 'Ours, not ProGet\'s: true makes this a removal record (the package was removed from the target).' }
    : { type: ['boolean', 'string'], description: 'Ours, not ProGet\'s: true makes this a removal record (the package was removed from the target).' };
  properties[form ? 'key' : 'API_Key'] = { type: 'string', description: 'An API key (a credential, never stored).' };
  return {
    type: 'object',
    description: 'Field names are matched case-insensitively (`feedName`, `FEEDNAME`); unknown fields are ignored.',
    required: FIELDS.filter((f) => f.required).map((f) => f.name),
    properties,
  };
}

function readParameters(): Record<string, unknown>[] {
  const parameters: Record<string, unknown>[] = READ_PARAMETERS.map((name) => ({ name, in: 'query', required: false, ...PARAMETER_DOCS[name] }));
  return parameters;
}

function readOperation(current: boolean): Record<string, unknown> {
  return {
    operationId: current ? 'readCurrentDeployments' : 'readDeployments',
    summary: current ? 'Where a package is running now: each target\'s latest record (by date).' : 'The history: records matching the filters, newest first.',
    parameters: readParameters(),
    responses: {
      200: {
        description: 'The records: a JSON page, or every matching record as CSV or NDJSON (streamed).',
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/RecordPage' } },
          'text/csv': { schema: { type: 'string', description: `A header row (${RECORD_COLUMNS.join(',')}) then one row a record; cells a spreadsheet would run as a formula start with '.` } },
          'application/x-ndjson': { schema: { type: 'string', description: 'One JSON record (WireRecord) a line.' } },
        },
      },
      400: ERRORS.badRequest,
      403: ERRORS.forbidden,
      404: ERRORS.notFound,
      500: ERRORS.serverError,
      503: ERRORS.unavailable,
    },
  };
}

const SECURITY = [{ ApiKeyHeader: [] }, { ApiKeyQuery: [] }, { BasicApiKey: [] }, { HostLogin: [] }, {}];

function historyOperation(withVersion: boolean): Record<string, unknown> {
  return {
    operationId: withVersion ? 'historyPageOfVersion' : 'historyPage',
    summary: 'The History page (HTML, no JavaScript): running now, then the history, with the read API\'s filters as a form.',
    parameters: [
      { name: 'feed', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'package', in: 'path', required: true, description: 'The package; `@scope/name` or `@scope%2fname` for an npm scope.', schema: { type: 'string' } },
      ...(withVersion ? [{ name: 'version', in: 'path', required: true, schema: { type: 'string' } }] : []),
      ...['group', 'range', 'target', 'targetPrefix', 'application', 'user', 'since', 'until', 'limit', 'cursor', ...(withVersion ? [] : ['version'])]
        .map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
    ],
    responses: {
      200: { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
      400: { description: 'A filter is malformed: the page, with the problem shown above the form.', content: { 'text/html': { schema: { type: 'string' } } } },
      403: ERRORS.forbidden,
      404: ERRORS.notFound,
      500: ERRORS.serverError,
      503: ERRORS.unavailable,
    },
    security: SECURITY,
  };
}

const OPENAPI_DOCUMENT_OPTIONS = optionNames<OpenApiDocumentOptions>()('historyPath', 'serverUrl', 'webhooks');

/** The OpenAPI 3.1 document of the router's endpoints. */
export function openApiDocument(given?: OpenApiDocumentOptions): Record<string, unknown> {
  const options = readOptions('openApiDocument', given, OPENAPI_DOCUMENT_OPTIONS, '{ webhooks: true }');
  const historyPath = options.historyPath === undefined ? '/-/deployments' : options.historyPath;
  const record = {
    operationId: 'recordDeployment',
    summary: 'Records one deployment (ProGet\'s Package Deployments API).',
    description: 'Answered 200 only once the record is committed. A body with no Content-Type is read as a form.',
    parameters: [{
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'IETF httpapi draft: the same key and payload replay the first answer (nothing stored); another payload is 422; while the first is in flight, 409. Scoped to the caller, kept 24 h by default. 1 to 255 printable ASCII characters, quoted or bare.',
      schema: { type: 'string', maxLength: 257 },
    }],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/DeploymentJson' } },
        'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/DeploymentForm' } },
      },
    },
    responses: {
      200: { description: 'Committed to the store (or, with an Idempotency-Key used before with this payload, the first answer replayed). Empty body.' },
      400: ERRORS.badRequest,
      403: ERRORS.forbidden,
      404: ERRORS.notFound,
      409: { ...text('A request with the same Idempotency-Key is still being processed; retry after `Retry-After`.'), headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 } } } },
      413: ERRORS.tooLarge,
      415: ERRORS.unsupported,
      422: text('The Idempotency-Key was used before with another payload.'),
      500: ERRORS.serverError,
      503: ERRORS.unavailable,
    },
    security: SECURITY,
  };
  const paths: Record<string, unknown> = {
    '/api/package-deployment/': { post: record },
    '/api/package-deployment': { get: { ...readOperation(false), security: SECURITY }, post: { ...record, operationId: 'recordDeploymentNoSlash' } },
    '/api/package-deployment/current': { get: { ...readOperation(true), security: SECURITY } },
    [OPENAPI_PATH]: {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document.',
        security: [{}],
        responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  Object.assign(paths, advisoryPaths('/api/package-deployment', ERRORS, SECURITY));
  Object.assign(paths, lifecyclePaths('/api/package-deployment', ERRORS, SECURITY));
  if (options.webhooks) Object.assign(paths, webhookAdminPaths('/api/package-deployment', ERRORS, [{ ApiKeyHeader: [] }, { ApiKeyQuery: [] }, { BasicApiKey: [] }]));
  if (historyPath !== false) {
    const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
    const pageErrors = { 403: ERRORS.forbidden, 413: ERRORS.tooLarge, 500: ERRORS.serverError, 503: ERRORS.unavailable };
    paths[`${historyPath}/advisories`] = {
      get: { operationId: 'advisoriesPage', summary: 'The Advisories page (HTML form, no JavaScript).', security: SECURITY, responses: { 200: html('The form.'), ...pageErrors } },
      post: {
        operationId: 'advisoriesPageAnswer',
        summary: 'The Advisories page answering a pasted or uploaded advisory, or a purl and a range.',
        security: SECURITY,
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/AdvisoryForm' } },
            'multipart/form-data': { schema: { $ref: '#/components/schemas/AdvisoryForm' } },
          },
        },
        responses: { 200: html('The targets running an affected version now.'), 400: html('The page, with the problem shown.'), ...pageErrors },
      },
    };
    paths[`${historyPath}/{feed}/{package}`] = { get: historyOperation(false) };
    paths[`${historyPath}/{feed}/{package}/{version}`] = { get: historyOperation(true) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'package-deployments',
      version: VERSION,
      description: 'Package deployment records, the ProGet way: record (POST, or X-ProGet-Deployment-* headers on feed downloads), read back, export. Errors are text/plain.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    paths,
    components: {
      securitySchemes: {
        ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-ApiKey', description: 'Checked first.' },
        ApiKeyQuery: { type: 'apiKey', in: 'query', name: 'key', description: 'Lands in access logs: prefer the header. (The form field `key` and the JSON root `API_Key` come next, then Basic.)' },
        BasicApiKey: { type: 'http', scheme: 'basic', description: 'User name `api`, the key as password. Other user names go to the auth adapter\'s user check.' },
        HostLogin: { type: 'http', scheme: 'bearer', description: 'The host server\'s own login (the `principal` option, `req.user`; a Verdaccio token), when the host has one.' },
      },
      schemas: {
        ...ADVISORY_SCHEMAS,
        ...LIFECYCLE_SCHEMAS,
        ...(options.webhooks ? WEBHOOK_SCHEMAS : {}),
        ErrorText: { type: 'string', description: 'A human-readable reason; for 400, one problem a line.' },
        AdvisoryForm: {
          type: 'object',
          properties: {
            advisory: { type: 'string', description: 'OSV JSON, pasted.' },
            file: { type: 'string', description: 'OSV JSON, uploaded (multipart).' },
            purl: { type: 'string', description: 'A package URL, with `range`, instead of an advisory.' },
            range: { type: 'string' },
            key: { type: 'string', description: 'An API key (a credential).' },
          },
        },
        DeploymentJson: deploymentInput(false),
        DeploymentForm: deploymentInput(true),
        WireRecord: {
          type: 'object',
          required: [...RECORD_COLUMNS],
          additionalProperties: false,
          properties: {
            Id: { type: 'string' },
            Date: { type: 'string', format: 'date-time' },
            FeedName: { type: 'string' },
            GroupName: { type: ['string', 'null'] },
            PackageName: { type: 'string' },
            Version: { type: 'string' },
            Target: { type: 'string' },
            Application: { type: 'string' },
            UserName: { type: 'string' },
            Description: { type: 'string' },
            Url: { type: ['string', 'null'] },
            ReceivedAt: { type: 'string', format: 'date-time' },
            Removed: { type: 'boolean', description: 'True for a removal record (this library\'s extension, not ProGet\'s).' },
          },
        },
        RecordPage: {
          type: 'object',
          required: ['records', 'nextCursor'],
          additionalProperties: false,
          properties: {
            records: { type: 'array', items: { $ref: '#/components/schemas/WireRecord' } },
            nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' },
            total: { type: 'integer', minimum: 0, description: 'With `total=true`.' },
          },
        },
      },
    },
  };
}
