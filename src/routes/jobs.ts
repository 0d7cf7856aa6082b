// Training jobs: POST /train queues one; the worker (inline or separate processes) runs it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { enqueue, getJob, listJobs, requestCancel } from '../jobs/queue.ts'
import { JobParams, TrainBody } from '../schemas/jobs.ts'
import { problems } from '../schemas/problem.ts'
import { trainParams } from '../training/request.ts'

const tags = ['training']
const JobRef = Type.Ref('Job')

const jobs: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
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
      const params = await trainParams(app.db, request.body ?? {})
      const { job } = await enqueue(app.db, params, request.headers['idempotency-key'])
      app.jobsQueued?.()
      return reply.code(202).header('location', `/jobs/${job.id}`).send(job)
    },
  )

  app.get(
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

  app.get(
    '/jobs/:id',
    { schema: { tags, summary: 'One job, with its stage, progress and log', params: JobParams, response: { 200: JobRef, ...problems(404) } } },
    async (request) => getJob(app.db, request.params.id),
  )

  app.post(
    '/jobs/:id/cancel',
    {
      config: { role: 'admin' },
      schema: { tags, summary: 'Cancel a job (a running one stops at its next stage boundary)', params: JobParams, response: { 200: JobRef, ...problems(404) } },
    },
    async (request) => requestCancel(app.db, request.params.id),
  )
}

export default jobs

declare module 'fastify' {
  interface FastifyInstance {
    /** Wakes an inline worker after a job was queued (absent when WORKER=off). */
    jobsQueued?: () => void
  }
}
