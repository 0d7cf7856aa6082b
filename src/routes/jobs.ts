// Training jobs: POST /train queues one; the worker (inline or separate processes) runs it.
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { HttpProblem } from '../errors.ts'
import { enqueue, getJob, listJobs, requestCancel } from '../jobs/queue.ts'
import { JobParams, TrainBody, type TrainParams } from '../schemas/jobs.ts'
import { problems } from '../schemas/problem.ts'
import { isCalendarDay } from '../training/params.ts'

const tags = ['training']
const JobRef = Type.Ref('Job')
export const DEFAULT_K_RANGE: [number, number] = [3, 8]
export const DEFAULT_SEED = 42

async function resolveParams(app: FastifyInstance, body: TrainBody): Promise<TrainParams> {
  const known = await app.db.prisma.dataset.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } })
  let datasetIds: string[]
  if (body.datasetIds) {
    const ids = new Set(known.map((d) => d.id))
    const missing = body.datasetIds.filter((id) => !ids.has(id))
    if (missing.length > 0) {
      throw new HttpProblem(422, 'Unknown datasets', `no dataset with id ${missing.join(', ')}`, missing.map((id) => ({ path: 'body.datasetIds', message: `unknown dataset ${id}` })))
    }
    datasetIds = [...new Set(body.datasetIds)]
  } else {
    datasetIds = known.map((d) => d.id)
  }
  if (datasetIds.length === 0) throw new HttpProblem(422, 'No data', 'there is no dataset to train on: upload one with POST /datasets first')
  const kRange = (body.kRange as [number, number] | undefined) ?? DEFAULT_K_RANGE
  if (kRange[0] > kRange[1]) throw new HttpProblem(400, 'Bad Request', 'kRange must be [min, max] with min ≤ max', [{ path: 'body.kRange', message: 'min > max' }])
  if (body.asOf !== undefined && !isCalendarDay(body.asOf)) throw new HttpProblem(400, 'Bad Request', `asOf = ${body.asOf} is not a calendar day`, [{ path: 'body.asOf', message: 'not a calendar day' }])
  return {
    datasetIds,
    ...(body.asOf !== undefined && { asOf: body.asOf }),
    ...(body.holdoutDays !== undefined && { holdoutDays: body.holdoutDays }),
    recipe: body.recipe ?? 'default',
    k: body.k ?? 'auto',
    kRange,
    seed: body.seed ?? DEFAULT_SEED,
    activate: body.activate ?? 'if-better',
  }
}

export default async function jobs(app: FastifyInstance) {
  app.post<{ Body: TrainBody; Headers: { 'idempotency-key'?: string } }>(
    '/train',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Queue a training job',
        description: 'Returns 202 with the job; poll Location. The same Idempotency-Key returns the same job; an identical queued or running job gives 409.',
        body: TrainBody,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
        response: { 202: JobRef, ...problems(400, 409, 422) },
      },
    },
    async (request, reply) => {
      const params = await resolveParams(app, request.body ?? {})
      const { job } = await enqueue(app.db, params, request.headers['idempotency-key'])
      app.jobsQueued?.()
      return reply.code(202).header('location', `/jobs/${job.id}`).send(job)
    },
  )

  app.get<{ Querystring: { limit?: number } }>(
    '/jobs',
    {
      schema: {
        tags,
        summary: 'Training jobs, newest first',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
        response: { 200: Type.Array(JobRef) },
      },
    },
    async (request) => listJobs(app.db, request.query.limit),
  )

  app.get<{ Params: Static<typeof JobParams> }>(
    '/jobs/:id',
    { schema: { tags, summary: 'One job, with its stage, progress and log', params: JobParams, response: { 200: JobRef, ...problems(404) } } },
    async (request) => getJob(app.db, request.params.id),
  )

  app.post<{ Params: Static<typeof JobParams> }>(
    '/jobs/:id/cancel',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Cancel a job (a running one stops at its next stage boundary)', params: JobParams, response: { 200: JobRef, ...problems(404) } },
    },
    async (request) => requestCancel(app.db, request.params.id),
  )
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Wakes an inline worker after a job was queued (absent when WORKER=off). */
    jobsQueued?: () => void
  }
}
