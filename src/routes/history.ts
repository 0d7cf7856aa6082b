// Segments over time over HTTP: a customer's history, transitions and movers between versions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { customerHistory, modelTransitions, movers } from '../history/service.ts'
import { CustomerParams, HistorySchema, MoversQuery, MoversSchema, TransitionsQuery, TransitionsSchema, VersionOnly } from '../schemas/history.ts'
import { problems } from '../schemas/problem.ts'
import { csvRow } from '../codec/csv.ts'

const tags = ['history']

const history: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/customers/:id/history', {
    schema: { tags, summary: "A customer's segment in every model version, newest first", params: CustomerParams, response: { 200: HistorySchema, ...problems(404) } },
  }, async (request) => customerHistory(app.db, request.params.id))

  app.get('/models/:version/transitions', {
    schema: { tags, summary: 'Customers moving between the segments of two versions', params: VersionOnly, querystring: TransitionsQuery, response: { 200: TransitionsSchema, ...problems(404, 409) } },
  }, async (request) => modelTransitions(app.db, request.params.version, request.query.from))

  app.get('/models/:version/movers', {
    schema: {
      tags, summary: 'Customers in both versions, from one segment (or RFM group) and/or to another (JSON page or CSV)',
      params: VersionOnly, querystring: MoversQuery, response: { 200: MoversSchema, ...problems(400, 404, 409) },
    },
  }, async (request, reply) => {
    const q = request.query
    const page = await movers(app.db, request.params.version, { ...q, limit: q.limit ?? 100, offset: q.offset ?? 0 })
    if (q.format !== 'csv') return page
    // The CSV carries the labels filtered on: segments (the default), or RFM groups.
    const byGroup = page.by === 'group'
    const lines = [csvRow(['customer_id', 'from_version', byGroup ? 'from_group' : 'from_segment', 'to_version', byGroup ? 'to_group' : 'to_segment', 'clv'])]
    for (const m of page.movers) lines.push(csvRow([m.customerId, page.from, byGroup ? m.fromGroup : m.fromSegment, page.to, byGroup ? m.toGroup : m.toSegment, m.clv]))
    return reply.type('text/csv; charset=utf-8').header('x-total-count', String(page.total)).header('content-disposition', `attachment; filename="movers-v${page.from}-v${page.to}.csv"`).send(lines.join('') as never) // CSV text: the schema describes the JSON answer
  })
}

export default history
