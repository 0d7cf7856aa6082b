// A training run reduced to what must not change: sha256 of the model bundle (recipe name left
// out, see below), of the assignments, distances and outlier flags (their bytes), and of the
// report without its timings, plus a few plain numbers to read in a diff.
// test/pipeline-train-identical.test.ts compares these with values recorded before the training
// steps were split (scripts are in that test's header).
import { createHash } from 'node:crypto'
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
  const { timingsMs: _timings, recipe: _recipe, ...report } = r.report
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
