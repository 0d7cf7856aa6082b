// Scheduled training over HTTP (admin): each run of a schedule queues a normal training job.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { deleteSchedule, listSchedules, putSchedule } from '../jobs/schedules.ts'
import { ScheduleBody, ScheduleParams } from '../schemas/schedules.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['training']
const admin = { role: 'admin' as const }
const ScheduleRef = Type.Ref('Schedule')

const schedules: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/schedules', {
    config: admin,
    schema: {
      tags, summary: 'Create or replace a training schedule (cron in a time zone)',
      description: 'Each run queues a job as POST /train with `train` would, resolved at run time. A run is skipped while an identical job is queued or running.',
      body: ScheduleBody, response: { 201: ScheduleRef, ...problems(400, 422) },
    },
  }, async (request, reply) => reply.code(201).send(await putSchedule(app.db, request.body)))

  app.get('/schedules', {
    config: admin,
    schema: { tags, summary: 'Every training schedule, by name', response: { 200: Type.Array(ScheduleRef) } },
  }, async () => listSchedules(app.db))

  app.delete('/schedules/:name', {
    config: admin,
    schema: { tags, summary: 'Remove a training schedule (jobs it queued stay)', params: ScheduleParams, response: { 204: Type.Null(), ...problems(404) } },
  }, async (request, reply) => {
    await deleteSchedule(app.db, request.params.name)
    return reply.code(204).send(undefined as unknown as null)
  })
}

export default schedules
