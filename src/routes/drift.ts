// Drift of new data against the training data of a model: a dataset's customers, or the
// predictions logged over a recent window (src/drift/service.ts). POST /drift/check can queue a
// retrain when it drifts (the policy: src/drift/retrain.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkDrift } from '../drift/retrain.ts'
import { driftOf, driftView } from '../drift/service.ts'
import { CheckBody, CheckResponse, DriftQuery, DriftResponse } from '../schemas/drift.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['drift']

const driftRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        body: CheckBody,
        response: { 200: CheckResponse, ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => checkDrift(app, request.body ?? {}),
  )
}

export default driftRoutes
