// The model registry over HTTP: versions, the active one, its history, promotion and rollback.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { activate, activationHistory, activeVersion, getActiveModel, getEvaluation, getModel, listModels } from '../registry/models.ts'
import { ActivateBody, VersionParams } from '../schemas/models.ts'
import { problems } from '../schemas/problem.ts'
import type { Config } from '../config.ts'
import { emitActivation, policyOf } from '../webhooks/events.ts'

const tags = ['models']
const ModelRef = Type.Ref('Model')

const models: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const webhooks = policyOf(config)
  app.get('/models', { schema: { tags, summary: 'Every model version, newest first', response: { 200: Type.Array(ModelRef) } } }, async () => listModels(app.db))

  app.get('/models/active', { schema: { tags, summary: 'The active model', response: { 200: ModelRef, ...problems(409) } } }, async () => getActiveModel(app.db))

  app.get('/models/history', { schema: { tags, summary: 'Every change of the active version, newest first', response: { 200: Type.Array(Type.Ref('Activation')) } } }, async () =>
    activationHistory(app.db),
  )

  app.get(
    '/models/:version',
    { schema: { tags, summary: 'One model version', params: VersionParams, response: { 200: ModelRef, ...problems(404) } } },
    async (request) => getModel(app.db, request.params.version),
  )

  app.get(
    '/models/:version/evaluation',
    { schema: { tags, summary: 'The value model\'s holdout evaluation of one version', params: VersionParams, response: { 200: Type.Ref('Evaluation'), ...problems(404) } } },
    async (request) => getEvaluation(app.db, request.params.version),
  )

  app.post(
    '/models/:version/activate',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Make a version the active one (promotion or rollback)', params: VersionParams, body: ActivateBody, response: { 200: ModelRef, ...problems(404) } },
    },
    async (request) => {
      const before = await activeVersion(app.db)
      const reason = request.body?.reason ?? 'manual activation'
      const model = await activate(app.db, request.params.version, reason, request.actor)
      await app.models.refresh()
      if (before !== model.version) await emitActivation(app.db, webhooks, model.version, reason, request.log)
      return model
    },
  )
}

export default models
