// Training step 8: the model's metrics. Silhouette, Calinski-Harabasz, Davies-Bouldin, inertia and
// stability are the chosen k's scan entry (same partition, on the metric rows); the log-RFM
// silhouette puts every recipe on one yardstick: standardised log recency, log frequency and
// signed log monetary of the yardstick table (the original recipe's, or the table itself).
import type { FeatureTable, Matrix } from './types.ts'
import { takeRows } from './linalg.ts'
import { fitTransforms, type TransformSpec } from './transforms.ts'
import { silhouetteScore } from './metrics.ts'
import { modelSpecFor } from './model-spec.ts'
import type { KScanEntry } from './select-k.ts'
import { columns, type TrainMetrics } from './train-types.ts'

/** Standardised log-RFM coordinates of `yard`'s customers that are in `ids`, with their row in `ids`. */
export function logRfmSpace(yard: FeatureTable, ids: readonly string[]): { m: Matrix; rows: Int32Array } {
  const rfm = modelSpecFor(yard.recipe).rfm
  const raw = columns(yard, [rfm.recency, rfm.frequency, rfm.monetary])
  const pos = new Map<string, number>()
  ids.forEach((id, i) => pos.set(id, i))
  const yRows: number[] = []
  const tRows: number[] = []
  yard.customerIds.forEach((id, i) => {
    const t = pos.get(id)
    if (t !== undefined) {
      yRows.push(i)
      tRows.push(t)
    }
  })
  const specs: TransformSpec[] = [
    { kind: 'log1p', columns: [0, 1] },
    { kind: 'signedLog1p', columns: [2] },
    { kind: 'standardize', columns: [0, 1, 2] },
  ]
  return { m: fitTransforms(specs, takeRows(raw, yRows)).output, rows: Int32Array.from(tRows) }
}

export function sameMatrix(a: Matrix, b: Matrix): boolean {
  if (a.rows !== b.rows || a.cols !== b.cols) return false
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false
  return true
}

/**
 * Silhouette of `assignments` (one per row of `table`) in the log-RFM space of `yard`; null with
 * fewer than two segments or three rows. When the model space is that very space (`m`, every row
 * kept) the model's own silhouette is reused.
 */
export function logRfmSilhouette(yard: FeatureTable, table: FeatureTable, assignments: Int32Array, m: Matrix, allRows: boolean, silhouette: number, seed: number): number | null {
  const space = logRfmSpace(yard, table.customerIds)
  const labels = Int32Array.from(space.rows, (r) => assignments[r]!)
  if (new Set(labels).size < 2 || space.rows.length <= 2) return null
  return allRows && space.rows.length === table.customerIds.length && sameMatrix(space.m, m) ? silhouette : silhouetteScore(space.m, labels, { seed })
}

export function evaluateModel(chosen: KScanEntry, logRfm: number | null): TrainMetrics {
  return {
    silhouette: chosen.silhouette,
    calinskiHarabasz: chosen.calinskiHarabasz,
    daviesBouldin: chosen.daviesBouldin,
    inertia: chosen.inertia,
    stability: chosen.stability,
    logRfmSilhouette: logRfm,
  }
}
