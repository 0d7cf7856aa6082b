// Baseline for the ingest benchmark: only gunzip + parse + validate a file (no database), in a
// process of its own so its peak RSS is its own. Prints one JSON line.
import { createReadStream } from 'node:fs'
import { readUpload } from '../../src/ingest/upload.ts'

const file = process.argv[2]!
const started = performance.now()
const reader = readUpload(createReadStream(file, { highWaterMark: 256 * 1024 }), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 })
let rows = 0
for await (const batch of reader.batches) rows += batch.rows.length + batch.rejections.length
console.log(JSON.stringify({ rows, ms: performance.now() - started, peakRssMiB: process.resourceUsage().maxRSS / 1024 }))
