// Training is bit-identical to the code before issue 13 split it into steps: the same sample and
// seeds give the same model bundle, assignments, distances, outlier flags and report (timings
// aside), compared as sha256 of their bytes. The expectation, test/fixtures/expected/
// train-sample.json, was written by `npx tsx test/helpers/record-train-sample.ts` at commit
// 7fad5a53 (its `recordedFrom`), before any change to the training code; the only difference
// allowed since is the recipe's name ('seed' became 'original').
import { readFileSync } from 'node:fs'
import t from 'tap'
import { trainModel } from '../src/pipeline/train.ts'
import { trainOnFeatures } from '../src/training/train.ts'
import { fingerprint, sampleBuild, type Fingerprint } from './helpers/train-fingerprint.ts'

const expected = JSON.parse(readFileSync(`${import.meta.dirname}/fixtures/expected/train-sample.json`, 'utf8')) as Record<'default' | 'seedRecipe' | 'matched' | 'fixedK', Fingerprint>

const build = await sampleBuild()

t.test('default recipe, k auto, seed 42 (the training entry, names and products included)', async (t) => {
  const { result } = await trainOnFeatures(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 })
  t.same(fingerprint(result), expected.default)
})

t.test('the original recipe (recorded as seed), k = 3, seed 42', async (t) => {
  const { result } = await trainOnFeatures(build, { recipe: 'original', k: 3, kRange: [3, 8], seed: 42 })
  t.equal(result.bundle.recipe, 'original')
  t.equal(expected.seedRecipe.recipe, 'seed', 'recorded under its former name')
  t.same({ ...fingerprint(result), recipe: 'seed' }, expected.seedRecipe, 'everything else bit for bit')
})

t.test('a retrain matched to a previous model with permuted ids', async (t) => {
  const { result } = await trainOnFeatures(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 })
  const k = result.bundle.segments.length
  const previous = { ...result.bundle, segments: result.bundle.segments.map((s) => ({ ...s, id: (s.id + 1) % k })) }
  const matched = trainModel({ table: build.default, yardstick: build.original }, { recipe: 'default', seed: 7, k: 4, previous })
  t.ok(matched.report.matchedToPrevious)
  // k went from the previous model's to 4: each new id names the previous segment it continues,
  // every previous id at most once, and a model trained without a previous one has none.
  const continued = matched.report.counterparts.filter((c) => c !== null)
  t.equal(matched.report.counterparts.length, 4)
  t.equal(new Set(continued).size, continued.length, 'no previous segment continued twice')
  t.ok(continued.every((c) => c >= 0 && c < k))
  t.equal(continued.length, Math.min(4, k), 'Hungarian matching pairs min(k, k_prev) segments')
  t.ok(result.report.counterparts.every((c) => c === null), 'no previous model: no counterparts')
  t.same(fingerprint(matched), expected.matched)
})

t.test('default recipe, fixed k = 5, seed 0', async (t) => {
  t.same(fingerprint(trainModel({ table: build.default, yardstick: build.original }, { recipe: 'default', seed: 0, k: 5 })), expected.fixedK)
})
