// Campaign lists: customers of the active model (or ?model=) by CLV or P(alive), filtered by churn
// risk, segment and RFM group; JSON or spreadsheet-safe CSV (format=csv or Accept: text/csv).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { customersCsv, listCustomers } from '../serving/customer-value.ts'
import { problems } from '../schemas/problem.ts'
import { RFM_GROUPS } from '../value/rfm.ts'

const CustomersQuery = Type.Object({
  model: Type.Optional(Type.Integer({ minimum: 1 })),
  sort: Type.Optional(Type.Union([Type.Literal('clv'), Type.Literal('pAlive')], { default: 'clv' })),
  order: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' })),
  churnRisk: Type.Optional(Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')])),
  segment: Type.Optional(Type.Integer({ minimum: 0 })),
  rfmGroup: Type.Optional(Type.Union(RFM_GROUPS.map((g) => Type.Literal(g)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 100 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
})

const Item = Type.Object({
  customerId: Type.String(), segment: Type.Integer(), pAlive: Type.Number(), expectedPurchases: Type.Number(), expectedOrderValue: Type.Number(),
  clv: Type.Number(), churnRisk: Type.String(), rfmScore: Type.String(), rfmGroup: Type.String(),
})

const customerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/customers',
    {
      schema: {
        tags: ['segments'],
        summary: 'Customers by CLV or P(alive) (default horizon and rate), e.g. the 500 most valuable at high churn risk',
        querystring: CustomersQuery,
        response: { 200: Type.Object({ modelVersion: Type.Integer(), customers: Type.Array(Item) }), ...problems(400, 409) },
      },
    },
    async (request, reply) => {
      const m = await app.models.get(request.query.model)
      const items = listCustomers(m, request.query)
      const csv = request.query.format === 'csv' || (request.query.format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''))
      if (csv) return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="customers-v${m.version}.csv"`).send(customersCsv(items) as never)
      return { modelVersion: m.version, customers: items }
    },
  )
}

export default customerRoutes
