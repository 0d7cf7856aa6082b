// POST /train's body → the params a job runs with: the datasets checked (default: every one, in
// upload order), the model fields resolved by `modelParams`, the activation policy defaulted.
import type { Database } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import { UnknownRecipe } from '../pipeline/recipe-id.ts'
import type { TrainBody, TrainParams } from '../schemas/jobs.ts'
import { InvalidParams, modelParams } from './params.ts'

async function datasetIdsOf(db: Database, requested: readonly string[] | undefined): Promise<string[]> {
  const known = await db.prisma.dataset.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } })
  if (!requested) return known.map((d) => d.id)
  const ids = new Set(known.map((d) => d.id))
  const missing = requested.filter((id) => !ids.has(id))
  if (missing.length > 0) {
    throw new HttpProblem(422, 'Unknown datasets', `no dataset with id ${missing.join(', ')}`, missing.map((id) => ({ path: 'body.datasetIds', message: `unknown dataset ${id}` })))
  }
  return [...new Set(requested)]
}

/** Every default resolved; 422 for unknown or no datasets, 400 for a kRange that is not [min, max]. */
export async function trainParams(db: Database, body: TrainBody): Promise<TrainParams> {
  const datasetIds = await datasetIdsOf(db, body.datasetIds)
  if (datasetIds.length === 0) throw new HttpProblem(422, 'No data', 'there is no dataset to train on: upload one with POST /datasets first')
  try {
    return { datasetIds, ...modelParams(body), activate: body.activate ?? 'if-better' }
  } catch (err) {
    if (err instanceof InvalidParams) {
      const field = /^asOf/.test(err.message) ? 'asOf' : /^holdoutDays/.test(err.message) ? 'holdoutDays' : 'kRange'
      throw new HttpProblem(400, 'Bad Request', err.message, [{ path: `body.${field}`, message: field === 'kRange' ? 'min > max' : err.message }])
    }
    // The schema only lets recipe ids and aliases through; this is for a caller that skips it.
    if (err instanceof UnknownRecipe) throw new HttpProblem(400, 'Bad Request', err.message, [{ path: 'body.recipe', message: 'unknown recipe' }])
    throw err
  }
}
