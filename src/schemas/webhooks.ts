// Webhook subscriptions and deliveries.
import { Type } from 'typebox'
import { EVENTS } from '../webhooks/registry.ts'

// Listed out so the type provider keeps the literals (a mapped array widens them); a test checks it equals EVENTS.
export const Event = Type.Union([Type.Literal('model.activated'), Type.Literal('drift.detected'), Type.Literal('job.failed'), Type.Literal('segments.moved')])

export const WebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) target; private, loopback and link-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE=1' }),
  events: Type.Array(Event, { minItems: 1, maxItems: EVENTS.length }),
  secret: Type.Optional(Type.String({ minLength: 10, maxLength: 200, description: 'whsec_ + base64 of at least 24 bytes; generated when left out' })),
}, { additionalProperties: false })

const webhookFields = {
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Event),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
}
export const WebhookSchema = Type.Object(webhookFields, { $id: 'Webhook' })
export const CreatedWebhookSchema = Type.Object({ ...webhookFields, secret: Type.String({ description: 'Shown only now: keep it to verify the webhook-signature header' }) })

export const WebhookParams = Type.Object({ id: Type.String({ maxLength: 100 }) })

export const DeliverySchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Also the webhook-id header, stable across retries' }),
  event: Event,
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  log: Type.Array(Type.Object({
    at: Type.String({ format: 'date-time' }),
    status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status; null when no answer came' }),
    latencyMs: Type.Number(),
    error: Type.Union([Type.String(), Type.Null()]),
  })),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})
