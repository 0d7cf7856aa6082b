// Feature recipes: how one customer's cleaned rows become one row of features. Both recipes are
// computed from the same running statistics (customer-stats.ts) in one pass (features.ts).

import type { CustomerStats } from '../customer-stats.ts'
import type { FeatureSpec, RecipeName } from '../types.ts'
import { defaultRecipe } from './default.ts'
import { originalRecipe } from './original.ts'
import { recipeId } from '../recipe-id.ts'

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

/**
 * By id. `seed` is the original recipe under its former name, still read by
 * src/aggregates/merge-part.ts and finish-merge.ts; remove it when they say `original`.
 */
export const RECIPES: Readonly<Record<RecipeName | 'seed', Recipe>> = { original: originalRecipe, default: defaultRecipe, seed: originalRecipe }

/** The recipe of an id or an alias (`seed`); throws on an unknown name. */
export function getRecipe(name: string): Recipe {
  return RECIPES[recipeId(name)]
}

export { originalRecipe, defaultRecipe }
