// The params of a training, from the request to the pipeline. `ModelParams` (src/pipeline/
// train-types.ts) is the one type: the job's params (schemas/jobs.ts) add the datasets and the
// activation policy, `TrainingParams` the datasets. `modelParams` resolves a request's optional
// fields, so POST /train, a drift retrain, the CLI and the benchmark all get the same defaults.
import { recipeId } from '../pipeline/recipe-id.ts'
import type { ModelParams } from '../pipeline/train-types.ts'
import { windowProblem, type WindowSpec } from './window.ts'

export type { ModelParams } from '../pipeline/train-types.ts'

/** The observation end of the value model (src/value/model.ts), as POST /train takes it. */
export interface ValueParams {
  /** YYYY-MM-DD: the last day of the calibration period; default the data's last invoice day (less holdoutDays). */
  asOf?: string
  /** Days after asOf whose purchases are predicted and compared (default: from asOf to the data's end). */
  holdoutDays?: number
  /** Train on the transactions of (asOf − window, asOf] only (src/training/window.ts); default: every day up to asOf. */
  window?: WindowSpec
}

export interface TrainingParams extends ModelParams, ValueParams {
  /** Datasets whose transactions are trained on together. */
  datasetIds: readonly string[]
}

export const DEFAULT_K_RANGE: [number, number] = [3, 8]
export const DEFAULT_SEED = 42

/** A request's model fields, every one optional (the TrainBody of schemas/jobs.ts). */
export interface ModelRequest {
  /** A recipe id or alias (`seed` for `original`). */
  recipe?: string
  k?: number | 'auto'
  kRange?: readonly number[]
  seed?: number
  asOf?: string
  holdoutDays?: number
  window?: WindowSpec
}

export class InvalidParams extends RangeError {
  override name = 'InvalidParams'
}

/** Every default resolved, the recipe as its id; throws UnknownRecipe on an unknown recipe, InvalidParams when kRange is not [min, max] with min ≤ max. */
export function modelParams(body: ModelRequest): ModelParams & ValueParams {
  const kRange: [number, number] = body.kRange ? [body.kRange[0]!, body.kRange[1]!] : DEFAULT_K_RANGE
  if (body.kRange && (body.kRange.length !== 2 || kRange[0] > kRange[1])) throw new InvalidParams('kRange must be [min, max] with min ≤ max')
  if (body.asOf !== undefined && !isCalendarDay(body.asOf)) throw new InvalidParams(`asOf = ${body.asOf}: need a calendar day YYYY-MM-DD`)
  if (body.holdoutDays !== undefined && !(Number.isInteger(body.holdoutDays) && body.holdoutDays >= 1)) throw new InvalidParams('holdoutDays must be an integer ≥ 1')
  const badWindow = body.window === undefined ? null : windowProblem(body.window)
  if (badWindow) throw new InvalidParams(badWindow)
  return {
    recipe: recipeId(body.recipe ?? 'default'), k: body.k ?? 'auto', kRange, seed: body.seed ?? DEFAULT_SEED,
    // Absent fields stay absent: a job's params (and so its idempotency key) are unchanged without them.
    ...(body.asOf !== undefined && { asOf: body.asOf }),
    ...(body.holdoutDays !== undefined && { holdoutDays: body.holdoutDays }),
    ...(body.window !== undefined && { window: body.window.months !== undefined ? { months: body.window.months } : { days: body.window.days } }),
  }
}

/** A real calendar day written YYYY-MM-DD (2011-02-30 is not). */
export function isCalendarDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const t = Date.parse(`${s}T00:00:00Z`)
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s
}
