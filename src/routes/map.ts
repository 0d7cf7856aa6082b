// GET /segments/map: a 2-D map of a model's customers for the dashboard (the projection:
// src/serving/map.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MapQuery, SegmentMap } from '../schemas/map.ts'
import { problems } from '../schemas/problem.ts'
import { segmentMap } from '../serving/map.ts'

const map: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/segments/map',
    {
      schema: {
        tags: ['segments'],
        summary: "A 2-D map of the customers: a deterministic sample on the first two principal components of the model's space",
        querystring: MapQuery,
        response: { 200: SegmentMap, ...problems(404, 409) },
      },
    },
    async (request) => segmentMap(await app.models.get(request.query.model), request.query.sample ?? 2000),
  )
}

export default map
