/** The advisories endpoint in the OpenAPI document: OSV/GHSA JSON in, the targets running an affected version out. */

export function advisoryPaths(base: string, errors: Record<'badRequest' | 'forbidden' | 'notFound' | 'tooLarge' | 'unsupported' | 'serverError' | 'unavailable', unknown>, security: unknown[]): Record<string, unknown> {
  return {
    [`${base}/advisories`]: {
      post: {
        operationId: 'matchAdvisories',
        summary: 'Which targets run an affected version now: advisories as OSV JSON (one, an array, or {"vulns": [...]}).',
        security,
        parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv', 'ndjson'] } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { description: 'OSV (osv.dev, GitHub Advisory Database) JSON.', type: ['object', 'array'] } } },
        },
        responses: {
          200: {
            description: 'The matches (each target running an affected version now) and reports (advisory parts that could not be matched).',
            headers: { 'X-Advisory-Reports': { description: 'How many reports the answer holds.', schema: { type: 'integer', minimum: 0 } } },
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/AdvisoryAnswer' } },
              'text/csv': { schema: { type: 'string' } },
              'application/x-ndjson': { schema: { type: 'string', description: 'One match a line, then one {"report": ...} a line.' } },
            },
          },
          400: errors.badRequest,
          403: errors.forbidden,
          404: errors.notFound,
          413: errors.tooLarge,
          415: errors.unsupported,
          500: errors.serverError,
          503: errors.unavailable,
        },
      },
    },
  };
}

export const ADVISORY_SCHEMAS: Record<string, unknown> = {
  AdvisoryMatch: {
    type: 'object',
    required: ['advisory', 'aliases', 'feed', 'group', 'package', 'version', 'target', 'since', 'user', 'application', 'fixed'],
    additionalProperties: false,
    properties: {
      advisory: { type: 'string' },
      aliases: { type: 'array', items: { type: 'string' } },
      feed: { type: 'string' },
      group: { type: ['string', 'null'] },
      package: { type: 'string' },
      version: { type: 'string' },
      target: { type: 'string' },
      since: { type: 'string', format: 'date-time' },
      user: { type: 'string' },
      application: { type: 'string' },
      fixed: { type: ['string', 'null'] },
    },
  },
  AdvisoryReport: {
    type: 'object',
    required: ['advisory', 'path', 'problem'],
    properties: {
      advisory: { type: 'string' },
      path: { type: 'string' },
      ecosystem: { type: 'string' },
      package: { type: 'string' },
      feed: { type: 'string' },
      problem: { type: 'string' },
    },
  },
  AdvisoryAnswer: {
    type: 'object',
    required: ['matches', 'reports'],
    additionalProperties: false,
    properties: {
      matches: { type: 'array', items: { $ref: '#/components/schemas/AdvisoryMatch' } },
      reports: { type: 'array', items: { $ref: '#/components/schemas/AdvisoryReport' } },
    },
  },
};
