// Segments for marketing tools: profiles, and member lists as JSON pages or a CSV export
// (src/serving/segments.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ModelQuery } from '../schemas/predict.ts'
import { problems } from '../schemas/problem.ts'
import { decodeCursor, segmentCsv, segmentMembers, segmentView } from '../serving/segments.ts'

const tags = ['segments']

const SegmentParams = Type.Object({ id: Type.Integer({ minimum: 0 }) })
const MembersQuery = Type.Object({
  model: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
})

function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  return format === 'csv' || (format === undefined && /\btext\/csv\b/.test(accept ?? ''))
}

const segments: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/segments',
    { schema: { tags, summary: 'Segments of the active model (or ?model=) with profiles and top products', querystring: ModelQuery, response: { 200: Type.Array(Type.Ref('Segment')), ...problems(404, 409) } } },
    async (request) => {
      const m = await app.models.get(request.query.model)
      return m.bundle.segments.map((s) => segmentView(m, s.id))
    },
  )

  app.get(
    '/segments/:id',
    { schema: { tags, summary: 'One segment', params: SegmentParams, querystring: ModelQuery, response: { 200: Type.Ref('Segment'), ...problems(404, 409) } } },
    async (request) => segmentView(await app.models.get(request.query.model), request.params.id),
  )

  app.get(
    '/segments/:id/customers',
    {
      schema: {
        tags,
        summary: "A segment's customers, paginated; Accept: text/csv or ?format=csv exports the whole segment as CSV",
        params: SegmentParams,
        querystring: MembersQuery,
        produces: ['application/json', 'text/csv'],
        response: {
          200: Type.Object({
            modelVersion: Type.Integer(),
            segment: Type.Integer(),
            items: Type.Array(Type.Object({ customerId: Type.String(), distance: Type.Number(), outlier: Type.Boolean(), features: Type.Record(Type.String(), Type.Number()) })),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problems(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const q = request.query
      const [cursorVersion, after] = q.cursor ? decodeCursor(q.cursor) : [q.model, undefined]
      const m = await app.models.get(cursorVersion)
      if (!wantsCsv(q.format, request.headers.accept)) return segmentMembers(m, request.params.id, after, q.limit ?? 100)
      const { filename, csv } = segmentCsv(m, request.params.id)
      // Text with its own content type is written as it is; the schema's 200 is the JSON page.
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv as never)
    },
  )
}

export default segments
