// Webhook subscriptions over HTTP (admin): register, list, delete, and read a webhook's deliveries.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Config } from '../config.ts'
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks } from '../webhooks/registry.ts'
import { CreatedWebhookSchema, DeliverySchema, WebhookBody, WebhookParams } from '../schemas/webhooks.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['webhooks']
const admin = { role: 'admin' as const }

const webhooks: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  app.post('/webhooks', {
    config: admin,
    schema: { tags, summary: 'Subscribe a URL to registry events (signed per Standard Webhooks)', body: WebhookBody, response: { 201: CreatedWebhookSchema, ...problems(400, 422) } },
  }, async (request, reply) => reply.code(201).send(await createWebhook(app.db, request.body, request.actor, config.webhookAllowPrivate)))

  app.get('/webhooks', {
    config: admin,
    schema: { tags, summary: 'Every webhook (secrets are not shown)', response: { 200: Type.Array(Type.Ref('Webhook')) } },
  }, async () => listWebhooks(app.db))

  app.delete('/webhooks/:id', {
    config: admin,
    schema: { tags, summary: 'Remove a webhook and its delivery log', params: WebhookParams, response: { 204: Type.Null(), ...problems(404) } },
  }, async (request, reply) => {
    await deleteWebhook(app.db, request.params.id)
    return reply.code(204).send(undefined as unknown as null)
  })

  app.get('/webhooks/:id/deliveries', {
    config: admin,
    schema: {
      tags, summary: "A webhook's deliveries, newest first, each with every attempt's status and latency",
      params: WebhookParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: { 200: Type.Array(DeliverySchema), ...problems(404) },
    },
  }, async (request) => listDeliveries(app.db, request.params.id, request.query.limit ?? 100))
}

export default webhooks
