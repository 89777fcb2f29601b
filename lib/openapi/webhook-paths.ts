/**
 * The webhook admin routes in the OpenAPI document (served when the router has `webhooks`): targets,
 * deliveries, one delivery, a redelivery. Admin privilege (`Admin_ConfigureProGet`) with the same credentials.
 */

type Responses = Record<string, unknown>;

export function webhookAdminPaths(base: string, errors: { badRequest: unknown; forbidden: unknown; serverError: unknown; unavailable: unknown }, security: unknown[]): Record<string, unknown> {
  const notFound = { description: 'No delivery has this id.', content: { 'text/plain': { schema: { $ref: '#/components/schemas/ErrorText' } } } };
  const common: Responses = { 403: errors.forbidden, 500: errors.serverError, 503: errors.unavailable };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const json = (description: string, ref: string) => ({ description, content: { 'application/json': { schema: { $ref: ref } } } });
  return {
    [`${base}/webhooks/targets`]: {
      get: { operationId: 'listWebhookTargets', summary: 'The webhook targets (never a secret).', security, responses: { 200: json('The targets.', '#/components/schemas/WebhookTargetList'), ...common } },
    },
    [`${base}/webhooks/deliveries`]: {
      get: {
        operationId: 'listWebhookDeliveries',
        summary: 'Webhook deliveries, newest first.',
        security,
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['pending', 'delivered', 'failed'] } },
          { name: 'target', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'record', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: { 200: json('One page of deliveries.', '#/components/schemas/WebhookDeliveryPage'), 400: errors.badRequest, ...common },
      },
    },
    [`${base}/webhooks/deliveries/{id}`]: {
      get: { operationId: 'getWebhookDelivery', summary: 'One delivery.', security, parameters: [id], responses: { 200: json('The delivery.', '#/components/schemas/WebhookDelivery'), 404: notFound, ...common } },
    },
    [`${base}/webhooks/deliveries/{id}/redeliver`]: {
      post: { operationId: 'redeliverWebhook', summary: 'Sends a delivery again (same webhook-id, a fresh retry schedule).', security, parameters: [id], responses: { 202: json('Queued again.', '#/components/schemas/WebhookDelivery'), 404: notFound, ...common } },
    },
  };
}

const dateTime = { type: 'string', format: 'date-time' };

export const WEBHOOK_SCHEMAS: Record<string, unknown> = {
  WebhookTarget: {
    type: 'object',
    required: ['name', 'url', 'events', 'format', 'source', 'secrets', 'createdAt'],
    properties: {
      name: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'array', items: { type: 'string', enum: ['deployment.created', 'deployment.removed'] } },
      feeds: { type: 'array', items: { type: 'string' } },
      format: { type: 'string', enum: ['standard', 'proget'] },
      source: { type: 'string', enum: ['config', 'store'] },
      secrets: { type: 'integer', minimum: 0 },
      createdAt: dateTime,
      disabledAt: dateTime,
      disabledReason: { type: 'string' },
    },
  },
  WebhookTargetList: { type: 'object', required: ['targets'], properties: { targets: { type: 'array', items: { $ref: '#/components/schemas/WebhookTarget' } } } },
  WebhookDelivery: {
    type: 'object',
    required: ['id', 'webhookId', 'target', 'eventType', 'recordId', 'feedName', 'status', 'attempts', 'createdAt'],
    properties: {
      id: { type: 'string' },
      webhookId: { type: 'string' },
      target: { type: 'string' },
      eventType: { type: 'string', enum: ['deployment.created', 'deployment.removed'] },
      recordId: { type: 'string' },
      feedName: { type: 'string' },
      status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
      attempts: { type: 'integer', minimum: 0 },
      nextAttemptAt: dateTime,
      lastAttemptAt: dateTime,
      lastStatus: { type: 'integer' },
      lastError: { type: 'string' },
      deliveredAt: dateTime,
      createdAt: dateTime,
    },
  },
  WebhookDeliveryPage: {
    type: 'object',
    required: ['deliveries', 'nextCursor'],
    properties: {
      deliveries: { type: 'array', items: { $ref: '#/components/schemas/WebhookDelivery' } },
      nextCursor: { type: ['string', 'null'] },
    },
  },
};
