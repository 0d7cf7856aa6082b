// Records test/fixtures/expected/train-sample.json (see test/pipeline-train-identical.test.ts):
//   node test/helpers/record-train-sample.ts
// Run once at 7fad5a53, before the training code changed (the version of this file in commit
// 54b2680 is the one that ran, with that commit's function names); rerun only to re-record on purpose.
import { execSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { trainModel } from '../../src/pipeline/train.ts'
import { trainOnFeatures } from '../../src/training/train.ts'
import { fingerprint, sampleBuild } from './train-fingerprint.ts'

const build = await sampleBuild()
const def = await trainOnFeatures(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 })
const orig = await trainOnFeatures(build, { recipe: 'original', k: 3, kRange: [3, 8], seed: 42 })
// a retrain matched to a previous model with permuted ids (the id-matching path)
const k = def.result.bundle.segments.length
const previous = { ...def.result.bundle, segments: def.result.bundle.segments.map((s) => ({ ...s, id: (s.id + 1) % k })) }
const matched = trainModel({ table: build.default, yardstick: build.original }, { recipe: 'default', seed: 7, k: 4, previous })
const fixedK = trainModel({ table: build.default, yardstick: build.original }, { recipe: 'default', seed: 0, k: 5 })
const out = {
  recordedFrom: execSync('git rev-parse HEAD').toString().trim(),
  default: fingerprint(def.result),
  seedRecipe: fingerprint(orig.result),
  matched: fingerprint(matched),
  fixedK: fingerprint(fixedK),
}
writeFileSync(`${import.meta.dirname}/../fixtures/expected/train-sample.json`, JSON.stringify(out, null, 2) + '\n')
