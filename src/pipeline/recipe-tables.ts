// The feature pass's recipe output: each recipe writes one row per customer from its statistics
// (recipes/), and the reference-date columns are resolved when the pass ends.
import { DAY_MS } from './calendar.ts'
import type { CustomerStats } from './customer-stats.ts'
import { Growable, newF64 } from './growable.ts'
import type { Recipe } from './recipes/index.ts'
import type { FeatureTable } from './types.ts'

export class RecipeTables {
  private readonly recipes: readonly Recipe[]
  private readonly tables: Growable<Float64Array>[]

  constructor(recipes: readonly Recipe[]) {
    this.recipes = recipes
    this.tables = recipes.map(() => new Growable(new Float64Array(1024 * 16), newF64))
  }

  /** Appends the customer's row to every recipe's table. */
  write(stats: CustomerStats): void {
    for (let r = 0; r < this.recipes.length; r++) {
      const recipe = this.recipes[r]!
      const table = this.tables[r]!
      const width = recipe.featureNames.length
      table.reserve(width)
      recipe.write(stats, table.data, table.length)
      table.length += width
    }
  }

  /** One table per recipe (constructor order), the reference-date columns resolved. */
  finish(customerIds: readonly string[], referenceDay: number): FeatureTable[] {
    const rows = customerIds.length
    return this.recipes.map((recipe, r): FeatureTable => {
      const values = this.tables[r]!.toArray()
      const width = recipe.featureNames.length
      for (let i = 0; i < rows; i++) recipe.resolve(values, i * width, referenceDay)
      return {
        recipe: recipe.name,
        recipeVersion: recipe.version,
        features: recipe.featureNames,
        customerIds: customerIds.slice(),
        values,
        referenceDate: referenceDay * DAY_MS,
      }
    })
  }
}
