// The modelling thread of a standalone worker's training (src/training/model-thread.ts): the
// model it trains is the in-process one bit for bit (the recorded fingerprints of
// pipeline-train-identical.test.ts), errors come back with their name and message, and an abort
// ends it.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { movedArrays, trainInModelThread } from '../src/training/model-thread.ts'
import { trainOnFeatures } from '../src/training/train.ts'
import { fingerprint, sampleBuild, type Fingerprint } from './helpers/train-fingerprint.ts'

const expected = JSON.parse(readFileSync(`${import.meta.dirname}/fixtures/expected/train-sample.json`, 'utf8')) as Record<'default' | 'matched', Fingerprint>

const build = await sampleBuild()

t.test('default recipe, k auto, seed 42: the recorded model, names and products included', async (t) => {
  const { result } = await trainOnFeatures(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 }, { modelThread: {} })
  t.same(fingerprint(result), expected.default)
  t.ok(result.bundle.segments.every((s) => typeof s.name === 'string' && s.name.length > 0), 'annotated in the thread')
})

t.test('matched to a previous model with permuted ids, seed 7, k = 4: the recorded model', async (t) => {
  const { result } = await trainOnFeatures(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 })
  const k = result.bundle.segments.length
  const previous = { ...result.bundle, segments: result.bundle.segments.map((s) => ({ ...s, id: (s.id + 1) % k })) }
  const matched = await trainInModelThread({ table: build.default, yardstick: build.original, baskets: build.baskets, options: { recipe: 'default', seed: 7, k: 4, previous } })
  // The recorded bundle was trained without annotations (the thread always annotates): all else bit for bit.
  const pick = ({ k, segmentSizes, fittedSizes, metrics, assignments, distances, outliers, report }: Fingerprint) => ({ k, segmentSizes, fittedSizes, metrics, assignments, distances, outliers, report })
  t.same(pick(fingerprint(matched)), pick(expected.matched))
  t.ok(matched.report.matchedToPrevious)
})

t.test('an error in the thread rejects with its name and message', async (t) => {
  await t.rejects(trainInModelThread({ table: build.original, baskets: build.baskets, options: { recipe: 'default', seed: 1, k: 3 } }), {
    name: 'RangeError',
    message: 'a original feature table cannot train the default model',
  })
  t.equal(build.original.values.length, build.original.customerIds.length * build.original.features.length, 'the moved table came back with the error')
})

t.test('an abort ends the thread and rejects with the reason', async (t) => {
  // Its own build: the arrays moved to an aborted thread are lost with it.
  const own = await sampleBuild()
  const controller = new AbortController()
  const training = trainInModelThread({ table: own.default, yardstick: own.original, baskets: own.baskets, options: { recipe: 'default', seed: 1, k: 'auto', kRange: [2, 10] } }, controller.signal)
  controller.abort(new Error('canceled by the test'))
  await t.rejects(training, { message: 'canceled by the test' })
  const aborted = new AbortController()
  aborted.abort(new Error('before the start'))
  await t.rejects(trainInModelThread({ table: build.default, baskets: build.baskets, options: { recipe: 'default', seed: 1, k: 3 } }, aborted.signal), { message: 'before the start' })
  t.equal(build.default.values.length, build.default.customerIds.length * build.default.features.length, 'aborted before the start: nothing was moved')
})

t.test('the event loop keeps turning while the thread trains (what keeps a job heartbeat alive)', async (t) => {
  let settled = false
  const training = trainInModelThread({ table: build.default, yardstick: build.original, baskets: build.baskets, options: { recipe: 'default', seed: 3, k: 'auto', kRange: [2, 8] } }).finally(() => (settled = true))
  let turns = 0
  while (!settled) {
    await new Promise((r) => setImmediate(r))
    turns++
  }
  const result = await training
  t.ok(result.bundle.segments.length >= 2)
  // In-process, `train` is one synchronous call: the loop would not turn until it returned.
  t.ok(turns > 100, `the loop turned ${turns} times while the model was trained`)
})

t.test('the arrays moved to the thread come back in place; views that share a buffer are copied', async (t) => {
  const b = await sampleBuild()
  const values = Float64Array.from(b.default.values)
  const items = Int32Array.from(b.baskets.items)
  const start = { table: b.default, yardstick: b.original, baskets: b.baskets, options: { recipe: 'default' as const, seed: 42, k: 'auto' as const, kRange: [3, 8] as [number, number] } }
  t.equal(movedArrays(start).length, 4, 'both tables and both basket arrays are moved')
  const result = await trainInModelThread(start)
  t.same(fingerprint(result).assignments, expected.default.assignments)
  t.same(b.default.values, values, 'the table is back, unchanged')
  t.same(b.baskets.items, items, 'the baskets are back, unchanged')
  const shared = new Float64Array(8)
  const views = { table: { ...b.default, values: shared }, yardstick: { ...b.original, values: shared.subarray(0, 4) }, baskets: b.baskets }
  t.equal(movedArrays(views).length, 2, 'a buffer two views share is not moved')
})
