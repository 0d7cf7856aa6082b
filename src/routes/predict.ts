// A customer's segment, profile features and recommendations, from the active model (or ?model=).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ServedModel } from '../registry/served.ts'
import { predictBatch } from '../serving/batch.ts'
import { optionsFor, predict, predictById, predictByIdJson, type Prediction } from '../serving/predict.ts'
import { BatchBody, ModelQuery, PredictItem, RfmSchema, ValueSchema } from '../schemas/predict.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['predictions']
const PredictionRef = Type.Ref('Prediction')
// One object shape with optional parts rather than anyOf(Prediction, error): with anyOf the
// serializer validates every item to pick a branch, which made a 10,000-id batch 3x slower.
const BatchItem = Type.Object({
  customerId: Type.Union([Type.String(), Type.Null()]),
  modelVersion: Type.Optional(Type.Integer()),
  segment: Type.Optional(Type.Object({ id: Type.Integer(), name: Type.String(), description: Type.String() })),
  distances: Type.Optional(Type.Array(Type.Number())),
  features: Type.Optional(Type.Record(Type.String(), Type.Number())),
  recommendations: Type.Optional(Type.Array(Type.Object({ stockCode: Type.String(), description: Type.String() }))),
  value: Type.Optional(Type.Union([ValueSchema, Type.Null()])),
  valueReason: Type.Optional(Type.Literal('no-purchase-days')),
  rfm: Type.Optional(Type.Union([RfmSchema, Type.Null()])),
  error: Type.Optional(Type.Object({ status: Type.Integer(), title: Type.String(), detail: Type.String() })),
}, { description: 'A prediction, or for an item that failed, its customerId and error' })

const predictRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** Samples a prediction into the prediction log (drift over recent traffic) and counts it. */
  const logged = (m: ServedModel, p: Prediction, count = true): Prediction => {
    app.predictionLog.record(m.version, p.segment.id, () => m.bundle.features.map((f) => p.features[f] ?? NaN))
    if (count) app.metrics.predictions.labels(String(m.version), String(p.segment.id)).inc()
    return p
  }

  app.get(
    '/predict/customer/:customerId',
    {
      schema: {
        tags,
        summary: "A known customer's segment and recommendations",
        params: Type.Object({ customerId: Type.String({ minLength: 1 }) }),
        querystring: ModelQuery,
        response: { 200: PredictionRef, ...problems(404, 409) },
      },
    },
    // The hot path: the answer is serialized once per customer and model version and sent as
    // that string, which Node writes in one call with the headers (a Buffer went out as a
    // second chunk through writev, measured slower; docs/benchmarks.md, "Request overhead").
    async (request, reply) => {
      const m = await app.models.get(request.query.model)
      const id = request.params.customerId
      // Another horizon or discount rate: computed from the stored summary, not cached.
      if (request.query.horizonDays !== undefined || request.query.discountRate !== undefined) {
        const text = predictByIdJson(m, id, optionsFor(m, request.query))
        logged(m, predictById(m, id))
        return reply.type('application/json; charset=utf-8').send(text)
      }
      const body = predictByIdJson(m, id)
      logged(m, predictById(m, id))
      return reply.type('application/json; charset=utf-8').send(body)
    },
  )

  app.post(
    '/predict/customer',
    {
      schema: {
        tags,
        summary: 'Predict by customer id, by raw feature values, or by raw transactions of a new customer',
        querystring: ModelQuery,
        body: PredictItem,
        response: { 200: PredictionRef, ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => {
      const m = await app.models.get(request.query.model)
      return logged(m, predict(m, request.body, optionsFor(m, request.query)))
    },
  )

  app.post(
    '/predict/customers',
    {
      schema: {
        tags,
        summary: 'Up to 10,000 predictions in request order; an item that fails carries its error inline',
        querystring: ModelQuery,
        body: BatchBody,
        response: { 200: Type.Object({ modelVersion: Type.Integer(), predictions: Type.Array(BatchItem) }), ...problems(400, 409) },
      },
    },
    async (request, reply) => {
      const model = await app.models.get(request.query.model)
      const o = optionsFor(model, request.query)
      const body = request.body
      const items = 'customerIds' in body ? body.customerIds.map((customerId) => ({ customerId })) : body.items
      const { json, perSegment } = predictBatch(model, items, (p) => logged(model, p, false), o)
      for (const [segment, n] of perSegment) app.metrics.predictions.inc({ model_version: String(model.version), segment: String(segment) }, n)
      // The response schema documents the shape; fast-json-stringify spent ~300 ms on the nested
      // records of 10,000 items. A string with a JSON content type is written as it is, so the
      // provider's type (the parsed shape) does not apply to it.
      return reply.type('application/json; charset=utf-8').send(json as never)
    },
  )
}

export default predictRoutes
