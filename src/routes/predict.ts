// A customer's segment, profile features and recommendations, from the active model (or ?model=).
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { HttpProblem } from '../errors.ts'
import { predict, predictById, type PredictInput } from '../serving/predict.ts'
import { BatchBody, ModelQuery, PredictItem } from '../schemas/predict.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['predictions']
const PredictionRef = Type.Ref('Prediction')
const ItemError = Type.Object({ customerId: Type.Union([Type.String(), Type.Null()]), error: Type.Object({ status: Type.Integer(), title: Type.String(), detail: Type.String() }) })

export default async function predictRoutes(app: FastifyInstance) {
  app.get<{ Params: { customerId: string }; Querystring: Static<typeof ModelQuery> }>(
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
    async (request) => predictById(await app.models.get(request.query.model), request.params.customerId),
  )

  app.post<{ Body: Static<typeof PredictItem>; Querystring: Static<typeof ModelQuery> }>(
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
    async (request) => predict(await app.models.get(request.query.model), request.body as PredictInput),
  )

  app.post<{ Body: Static<typeof BatchBody>; Querystring: Static<typeof ModelQuery> }>(
    '/predict/customers',
    {
      schema: {
        tags,
        summary: 'Up to 10,000 predictions in request order; an item that fails carries its error inline',
        querystring: ModelQuery,
        body: BatchBody,
        response: { 200: Type.Object({ modelVersion: Type.Integer(), predictions: Type.Array(Type.Union([PredictionRef, ItemError])) }), ...problems(400, 409) },
      },
    },
    async (request) => {
      const model = await app.models.get(request.query.model)
      const body = request.body
      const items: PredictInput[] = 'customerIds' in body ? body.customerIds.map((customerId) => ({ customerId })) : (body.items as PredictInput[])
      const predictions = items.map((item) => {
        try {
          return predict(model, item)
        } catch (err) {
          if (!(err instanceof HttpProblem)) throw err
          return { customerId: 'customerId' in item ? item.customerId : null, error: { status: err.status, title: err.title, detail: err.detail } }
        }
      })
      return { modelVersion: model.version, predictions }
    },
  )
}
