// Feature recipes: how one customer's cleaned rows become one row of features. Both recipes are
// computed from the same running statistics (customer-stats.ts) in one pass (features.ts).

import type { CustomerStats } from '../customer-stats.ts'
import type { FeatureSpec, RecipeName } from '../types.ts'
import { defaultRecipe } from './default.ts'
import { seedRecipe } from './seed.ts'

export interface Recipe {
  readonly name: RecipeName
  readonly version: number
  readonly features: readonly FeatureSpec[]
  readonly featureNames: readonly string[]
  /**
   * Writes one customer's row at `out[offset ..]`. Columns that depend on the reference date
   * (known only at the end of the pass) hold day numbers or NaN markers until `resolve`.
   */
  write(stats: CustomerStats, out: Float64Array, offset: number): void
  /** Resolves the reference-date-dependent columns of one written row, in place. */
  resolve(out: Float64Array, offset: number, referenceDay: number): void
}

export const RECIPES: Readonly<Record<RecipeName, Recipe>> = { seed: seedRecipe, default: defaultRecipe }

export function getRecipe(name: RecipeName): Recipe {
  const recipe = RECIPES[name]
  if (recipe === undefined) throw new Error(`unknown feature recipe "${String(name)}"`)
  return recipe
}

export { seedRecipe, defaultRecipe }
