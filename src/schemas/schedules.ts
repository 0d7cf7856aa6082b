// Scheduled training (POST/GET/DELETE /schedules).
import { Type } from 'typebox'
import { TrainBody } from './jobs.ts'

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$', description: 'Letters, digits, _ . - (it appears in URLs)' })

export const ScheduleBody = Type.Object({
  name: Name,
  cron: Type.String({ minLength: 1, maxLength: 200, description: '5-field cron (minute hour day month weekday), e.g. "0 3 * * 1" for Mondays at 03:00' }),
  tz: Type.Optional(Type.String({ minLength: 1, maxLength: 100, default: 'UTC', description: 'IANA time zone the cron is read in' })),
  train: Type.Optional(TrainBody),
}, { additionalProperties: false })

export const ScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Type.String(),
  tz: Type.String(),
  train: TrainBody,
  next: Type.Array(Type.String({ format: 'date-time' }), { description: 'The next three runs' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
}, { $id: 'Schedule' })

export const ScheduleParams = Type.Object({ name: Name })
