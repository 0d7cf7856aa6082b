import { Type, type Static } from 'typebox'
import type { ModelParams } from '../pipeline/train-types.ts'
import { MAX_WINDOW_DAYS, MAX_WINDOW_MONTHS, type WindowSpec } from '../training/window.ts'

export const TrainBody = Type.Object(
  {
    datasetIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 100, description: 'Default: every dataset' })),
    recipe: Type.Optional(
      Type.Union([Type.Literal('default'), Type.Literal('original'), Type.Literal('seed')], {
        default: 'default',
        description: 'default (ours) or original (the original project\'s 15 features); seed is accepted as an alias of original, its former name',
      }),
    ),
    k: Type.Optional(Type.Union([Type.Integer({ minimum: 2, maximum: 20 }), Type.Literal('auto')], { default: 'auto' })),
    kRange: Type.Optional(Type.Array(Type.Integer({ minimum: 2, maximum: 20 }), { minItems: 2, maxItems: 2, description: '[min, max] for k = "auto"' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    asOf: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: 'Observation end (YYYY-MM-DD): features and the value model see the rows up to this day; later rows only feed the holdout. Default: the last invoice day (less holdoutDays).',
      }),
    ),
    holdoutDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3650, description: 'Evaluate the value model on the days (asOf, asOf + holdoutDays]. Default: from asOf to the end of the data.' }),
    ),
    window: Type.Optional(
      Type.Object(
        {
          months: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WINDOW_MONTHS })),
          days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WINDOW_DAYS })),
        },
        {
          additionalProperties: false, minProperties: 1, maxProperties: 1,
          description: 'Rolling window: train on the transactions of (asOf − N months, asOf] or (asOf − N days, asOf] only, e.g. {"months": 12}. Months are calendar months (the day of the month kept, clamped to the month\'s length). Rows after asOf still feed the holdout. Default: every day up to asOf.',
        },
      ),
    ),
    activate: Type.Optional(
      Type.Union([Type.Literal('if-better'), Type.Literal('always'), Type.Literal('never')], {
        default: 'if-better',
        description: 'if-better: activate when the new model beats the active one by the rule in the README',
      }),
    ),
  },
  { additionalProperties: false },
)
export type TrainBody = Static<typeof TrainBody>

/**
 * The params a job runs with: every default resolved (training/params.ts `modelParams`), the
 * recipe as its id, so equal requests give equal jobs. Jobs queued before the rename may still
 * carry the recipe `seed`: the job resolves it again.
 */
export interface TrainParams extends ModelParams {
  datasetIds: string[]
  activate: 'if-better' | 'always' | 'never'
  /** Present only when the request set it (equal requests give equal jobs). */
  asOf?: string
  holdoutDays?: number
  window?: WindowSpec
}

const LogLine = Type.Object({ at: Type.String(), level: Type.String(), message: Type.String() })

export const JobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union(['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s))),
    stage: Type.Union([Type.String(), Type.Null()]),
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    attempts: Type.Integer(),
    maxAttempts: Type.Integer(),
    params: Type.Unknown(),
    error: Type.Union([Type.String(), Type.Null()]),
    modelVersion: Type.Union([Type.Integer(), Type.Null()]),
    log: Type.Array(LogLine),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Job' },
)

export const JobParams = Type.Object({ id: Type.String() })
