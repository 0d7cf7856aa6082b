// A training run reduced to what must not change: sha256 of the model bundle (recipe name left
// out, see below), of the assignments, distances and outlier flags (their bytes), and of the
// report without its timings, plus a few plain numbers to read in a diff.
// test/pipeline-train-identical.test.ts compares these with values recorded before the training
// steps were split (scripts are in that test's header).
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readUpload } from '../../src/ingest/upload.ts'
import { buildFeatures, type BuildResult } from '../../src/pipeline/features.ts'
import type { Transaction } from '../../src/pipeline/types.ts'
import { inCustomerOrder } from '../../src/training/train.ts'
import { SAMPLE_DATA } from './data.ts'
import type { TrainResult } from '../../src/pipeline/train.ts'

const sha = (x: string | ArrayBufferView): string =>
  createHash('sha256')
    .update(typeof x === 'string' ? x : new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
    .digest('hex')

export interface Fingerprint {
  recipe: string
  k: number
  segmentSizes: number[]
  fittedSizes: number[]
  metrics: Record<string, number | null>
  segmentNames: (string | null)[]
  bundle: string
  assignments: string
  distances: string
  outliers: string
  report: string
}

export function fingerprint(r: TrainResult): Fingerprint {
  // The recipe named 'seed' became 'original' (issue 13): everything else is compared bit for bit.
  const { recipe, ...bundle } = r.bundle
  // `counterparts` came after the recorded fingerprints (issue 16); pipeline-train-identical checks it by itself.
  const { timingsMs: _timings, recipe: _recipe, counterparts: _counterparts, ...report } = r.report
  return {
    recipe,
    k: r.report.k,
    segmentSizes: r.report.segmentSizes,
    fittedSizes: r.report.fittedSizes,
    metrics: { ...r.report.metrics },
    segmentNames: r.bundle.segments.map((s) => s.name),
    bundle: sha(JSON.stringify(bundle)),
    assignments: sha(r.assignments),
    distances: sha(r.distances.data),
    outliers: sha(r.outliers),
    report: sha(JSON.stringify(report)),
  }
}

/** Both recipes' features of the sample file, its rows sorted by customer as the database sends them. */
export async function sampleBuild(): Promise<BuildResult> {
  const rows: Transaction[] = []
  for await (const b of readUpload(createReadStream(SAMPLE_DATA), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 }).batches) for (const r of b.rows) rows.push(r)
  return buildFeatures([inCustomerOrder(rows)])
}
