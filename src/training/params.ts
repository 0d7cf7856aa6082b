// The params of a training, from the request to the pipeline. `ModelParams` (src/pipeline/
// train-types.ts) is the one type: the job's params (schemas/jobs.ts) add the datasets and the
// activation policy, `TrainingParams` the datasets. `modelParams` resolves a request's optional
// fields, so POST /train, a drift retrain, the CLI and the benchmark all get the same defaults.
import { recipeId } from '../pipeline/recipe-id.ts'
import type { ModelParams } from '../pipeline/train-types.ts'

export type { ModelParams } from '../pipeline/train-types.ts'

export interface TrainingParams extends ModelParams {
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
}

export class InvalidParams extends RangeError {
  override name = 'InvalidParams'
}

/** Every default resolved, the recipe as its id; throws UnknownRecipe on an unknown recipe, InvalidParams when kRange is not [min, max] with min ≤ max. */
export function modelParams(body: ModelRequest): ModelParams {
  const kRange: [number, number] = body.kRange ? [body.kRange[0]!, body.kRange[1]!] : DEFAULT_K_RANGE
  if (body.kRange && (body.kRange.length !== 2 || kRange[0] > kRange[1])) throw new InvalidParams('kRange must be [min, max] with min ≤ max')
  return { recipe: recipeId(body.recipe ?? 'default'), k: body.k ?? 'auto', kRange, seed: body.seed ?? DEFAULT_SEED }
}
