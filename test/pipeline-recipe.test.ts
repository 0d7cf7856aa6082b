// The recipe once called `seed` is `original`; `seed` stays an alias wherever a name is read: a
// request (recipeId, modelParams), a stored model bundle (parseBundle), a stored feature build
// (recipeTable), scoring new transactions (featurizeTransactions).
import t from 'tap'
import fc from 'fast-check'
import { isRecipe, recipeId, RECIPE_ALIASES, RECIPE_IDS } from '../src/pipeline/recipe-id.ts'
import { getRecipe, RECIPES } from '../src/pipeline/recipes/index.ts'
import { modelSpecFor, ORIGINAL_SPEC } from '../src/pipeline/model-spec.ts'
import { parseBundle, scoreTable, serializeBundle } from '../src/pipeline/bundle.ts'
import { featurizeTransactions, recipeTable } from '../src/pipeline/features.ts'
import { parseBuild, serializeBuild } from '../src/datasets/features-store.ts'
import { train } from '../src/pipeline/train.ts'
import { sampleBuild } from './helpers/train-fingerprint.ts'

t.test('recipeId: ids are themselves, seed is original, nothing else is a recipe', async (t) => {
  t.same(RECIPE_IDS, ['default', 'original'])
  t.equal(recipeId('original'), 'original')
  t.equal(recipeId('default'), 'default')
  t.equal(recipeId('seed'), 'original')
  t.same(RECIPE_ALIASES, { seed: 'original' })
  t.throws(() => recipeId('Seed'), { name: 'UnknownRecipe', message: 'unknown recipe "Seed" (known: default, original; alias: seed)' })
  t.throws(() => recipeId('toString'), { name: 'UnknownRecipe' }, 'no inherited property is an alias')
  t.equal(getRecipe('seed'), RECIPES.original)
  t.equal(RECIPES.original.name, 'original')
  t.equal(modelSpecFor('seed'), ORIGINAL_SPEC)
  t.equal(ORIGINAL_SPEC.recipe, 'original')
  fc.assert(
    fc.property(fc.string(), (name) => {
      if (!isRecipe(name)) return (() => { try { recipeId(name); return false } catch { return true } })()
      const id = recipeId(name)
      return recipeId(id) === id && RECIPE_IDS.includes(id)
    }),
  )
})

t.test('stored data that names the recipe seed keeps loading, training and scoring', async (t) => {
  const build = await sampleBuild()
  t.equal(build.original.recipe, 'original', 'a fresh build names its table original')
  const stored = { ...build, original: { ...build.original, recipe: 'seed' as never } }
  const table = recipeTable(stored, 'seed')
  t.equal(table.recipe, 'original', 'a stored build read as original')
  t.equal(table.values, build.original.values, 'same values (not copied)')
  t.equal(recipeTable(build, 'default'), build.default)
  const text = serializeBuild(build)
  t.match(text, /^\{"original":\{/, 'a build is stored with the original table under its id')
  const storedBefore = text.replace(/^\{"original":/, '{"seed":')
  t.same(parseBuild(storedBefore), parseBuild(text), 'a build stored under the former name reads back the same')
  t.same(Array.from(parseBuild(storedBefore).original.values), Array.from(build.original.values), 'every value of the original table')

  const model = train({ table }, { recipe: 'original', seed: 1 })
  const legacyText = serializeBundle({ ...model.bundle, recipe: 'seed' as never })
  t.match(legacyText, /"recipe":"seed"/)
  const legacy = parseBundle(legacyText)
  t.equal(legacy.recipe, 'original', 'a bundle stored as seed is read as original')
  t.same(legacy, model.bundle, 'and is otherwise the bundle')
  t.same(scoreTable(legacy, table).segments, model.assignments, 'it scores every training customer to its segment')
  t.throws(() => parseBundle(serializeBundle({ ...model.bundle, recipe: 'rfm' as never })), /unknown recipe rfm/)

  const rows = [{ invoiceNo: '1', stockCode: '85123A', description: 'HEART', quantity: 2, invoiceDate: Date.UTC(2011, 0, 3, 10), unitPrice: 2.5, customerId: 'X', country: 'United Kingdom' }]
  const a = featurizeTransactions(rows, 'seed', Date.UTC(2011, 0, 10))
  const b = featurizeTransactions(rows, 'original', Date.UTC(2011, 0, 10))
  t.equal(a.recipe, 'original')
  t.same(a, b, 'featurizing under the alias is featurizing under the id')
})
