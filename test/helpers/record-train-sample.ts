// Records test/fixtures/expected/train-sample.json from the code as it is.
import { createReadStream, writeFileSync } from 'node:fs'
import { readUpload } from '../../src/ingest/upload.ts'
import { buildFeatures } from '../../src/pipeline/features.ts'
import { trainOnBuild } from '../../src/training/train.ts'
import { trainModel } from '../../src/pipeline/train.ts'
import { fingerprint } from './train-fingerprint.ts'
import { SAMPLE_DATA } from './data.ts'
import { execSync } from 'node:child_process'

const rows = []
const reader = readUpload(createReadStream(SAMPLE_DATA), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 })
for await (const b of reader.batches) for (const r of b.rows) rows.push(r)
const order = rows.map((_, i) => i).sort((a, b) => { const x = rows[a].customerId, y = rows[b].customerId; if (x === y) return a - b; if (x === null) return 1; if (y === null) return -1; return x < y ? -1 : 1 })
const build = await buildFeatures([order.map((i) => rows[i])])
const def = await trainOnBuild(build, { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 }, undefined)
const orig = await trainOnBuild(build, { recipe: 'seed', k: 3, kRange: [3, 8], seed: 42 }, undefined)
// a retrain matched to a previous model with permuted ids (the id-matching path)
const k = def.result.bundle.segments.length
const previous = { ...def.result.bundle, segments: def.result.bundle.segments.map((s) => ({ ...s, id: (s.id + 1) % k })) }
const matched = trainModel({ table: build.default, yardstick: build.seed }, { recipe: 'default', seed: 7, k: 4, previous })
const fixedK = trainModel({ table: build.default, yardstick: build.seed }, { recipe: 'default', seed: 0, k: 5 })
const out = {
  recordedFrom: execSync('git rev-parse HEAD').toString().trim(),
  default: fingerprint(def.result),
  seedRecipe: fingerprint(orig.result),
  matched: fingerprint(matched),
  fixedK: fingerprint(fixedK),
}
writeFileSync(`${import.meta.dirname}/../fixtures/expected/train-sample.json`, JSON.stringify(out, null, 2) + '\n')
console.log(JSON.stringify(out, null, 1).slice(0, 3000))
