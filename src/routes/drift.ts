// Drift of new data against the training data of a model: a dataset's customers, or the
// predictions logged over a recent window (src/drift/service.ts). POST /drift/check can queue a
// retrain when it drifts (the policy: src/drift/retrain.ts) and tells drift.detected subscribers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkDrift } from '../drift/retrain.ts'
import { driftOf, driftView } from '../drift/service.ts'
import { CheckBody, CheckResponse, DriftQuery, DriftResponse } from '../schemas/drift.ts'
import { problems } from '../schemas/problem.ts'
import type { Config } from '../config.ts'
import { policyOf } from '../webhooks/events.ts'

const tags = ['drift']

const driftRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const webhooks = policyOf(config)
  app.get(
    '/drift',
    {
      schema: {
        tags,
        summary: "Drift of a dataset (or of recent predictions) against the model's training data",
        querystring: DriftQuery,
        response: { 200: DriftResponse, ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => driftView(await driftOf(app, request.query)),
  )

  app.post(
    '/drift/check',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Check a dataset for drift and, if asked, queue a retrain when it drifted',
        description: 'When the data drifted, subscribers of the drift.detected webhook are told (GET /drift, a read, tells nobody).',
        body: CheckBody,
        response: { 200: CheckResponse, ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => checkDrift({ db: app.db, models: app.models, webhooks, log: request.log }, request.body ?? {}),
  )
}

export default driftRoutes
