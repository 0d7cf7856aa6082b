// Segments for marketing tools: profiles, and member lists as JSON pages or a CSV export.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { HttpProblem } from '../errors.ts'
import type { ServedModel } from '../registry/served.ts'
import { ModelQuery } from '../schemas/predict.ts'
import { problems } from '../schemas/problem.ts'
import { csvRow } from '../serving/csv.ts'

const tags = ['segments']

const SegmentParams = Type.Object({ id: Type.Integer({ minimum: 0 }) })
const MembersQuery = Type.Object({
  model: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
})

function segmentView(m: ServedModel, id: number) {
  const s = m.bundle.segments[id]
  if (!s) throw new HttpProblem(404, 'Not Found', `model version ${m.version} has segments 0 to ${m.bundle.segments.length - 1}, not ${id}`)
  return {
    id: s.id,
    name: s.name ?? `Segment ${s.id}`,
    description: s.description ?? '',
    size: s.size,
    share: s.share,
    profile: s.profile ?? {},
    topProducts: (s.topProducts ?? []).slice(0, 10),
  }
}

const encodeCursor = (version: number, after: string) => Buffer.from(JSON.stringify([version, after])).toString('base64url')
function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown
    if (Array.isArray(v) && Number.isInteger(v[0]) && typeof v[1] === 'string') return [v[0] as number, v[1]]
  } catch { /* falls through */ }
  throw new HttpProblem(400, 'Bad Request', 'cursor is not one this service issued', [{ path: 'querystring.cursor', message: 'invalid' }])
}

/** First member index whose customer id sorts after `after` (members are in id order). */
function startAfter(m: ServedModel, members: Int32Array, after: string): number {
  let lo = 0
  let hi = members.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (m.customerIds[members[mid]!]! <= after) lo = mid + 1
    else hi = mid
  }
  return lo
}

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
      const seg = segmentView(m, request.params.id)
      const members = m.members[seg.id]!
      const k = m.bundle.segments.length
      const d = m.bundle.features.length
      const features = (i: number) => Object.fromEntries(m.bundle.features.map((f, j) => [f, m.features[i * d + j]!]))
      if (wantsCsv(q.format, request.headers.accept)) return sendCsv(reply, m, seg, members, k, d)
      const from = after === undefined ? 0 : startAfter(m, members, after)
      const limit = q.limit ?? 100
      const page = members.subarray(from, from + limit)
      const items = Array.from(page, (i) => ({ customerId: m.customerIds[i]!, distance: m.distances[i * k + seg.id]!, outlier: m.outlier[i] === 1, features: features(i) }))
      const more = from + limit < members.length
      return { modelVersion: m.version, segment: seg.id, items, nextCursor: more ? encodeCursor(m.version, items[items.length - 1]!.customerId) : null }
    },
  )
}

export default segments

function sendCsv(reply: FastifyReply, m: ServedModel, seg: { id: number; name: string }, members: Int32Array, k: number, d: number) {
  let out = csvRow(['customerId', 'segmentId', 'segmentName', 'distance', 'outlier', ...m.bundle.features])
  for (const i of members) {
    const row: (string | number | boolean)[] = [m.customerIds[i]!, seg.id, seg.name, m.distances[i * k + seg.id]!, m.outlier[i] === 1]
    for (let j = 0; j < d; j++) row.push(m.features[i * d + j]!)
    out += csvRow(row)
  }
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="segment-${seg.id}-model-${m.version}.csv"`)
    .send(out)
}
