// Recipe ids and their aliases. The original project's recipe was called `seed`, beside the
// random `seed` of every training; it is now `original`, and `seed` stays accepted wherever a
// recipe name is read: requests (schemas/jobs.ts calls recipeId), stored model bundles and
// stored feature builds (normalized on read).
import type { RecipeName } from './types.ts'

export const RECIPE_IDS: readonly RecipeName[] = ['default', 'original']

/** Former names, still accepted on input. */
export const RECIPE_ALIASES: Readonly<Record<string, RecipeName>> = { seed: 'original' }

/** A recipe name as a request or a stored record may spell it: an id or an alias. */
export type RecipeInput = RecipeName | 'seed'

export class UnknownRecipe extends RangeError {
  override name = 'UnknownRecipe'
}

/** Whether `name` is a recipe id or alias. */
export function isRecipe(name: string): boolean {
  return (RECIPE_IDS as readonly string[]).includes(name) || Object.hasOwn(RECIPE_ALIASES, name)
}

/** The recipe id of a name or alias; throws UnknownRecipe otherwise. */
export function recipeId(name: string): RecipeName {
  if ((RECIPE_IDS as readonly string[]).includes(name)) return name as RecipeName
  const alias = Object.hasOwn(RECIPE_ALIASES, name) ? RECIPE_ALIASES[name] : undefined
  if (alias === undefined) throw new UnknownRecipe(`unknown recipe "${name}" (known: ${RECIPE_IDS.join(', ')}; alias: ${Object.keys(RECIPE_ALIASES).join(', ')})`)
  return alias
}
