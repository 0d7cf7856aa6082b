// Training step 9: the report stored with the model version (and printed by scripts/train.ts).
import type { PcaModel } from './pca.ts'
import type { ModelSpec } from './model-spec.ts'
import type { OutlierRule } from './bundle.ts'
import type { Clustering } from './train-k.ts'
import type { Assignment } from './train-assign.ts'
import type { FitRows } from './train-outliers.ts'
import type { TrainMetrics, TrainReport } from './train-types.ts'

export interface ReportInput {
  spec: ModelSpec
  customers: number
  clustering: Clustering
  metrics: TrainMetrics
  pca: PcaModel | null
  outliers: OutlierRule
  dropped: boolean
  rows: FitRows
  assignment: Assignment
  matchedToPrevious: boolean
  counterparts: (number | null)[]
  timingsMs: Record<string, number>
}

export function trainReport(r: ReportInput): TrainReport {
  const { spec, pca, outliers, customers: n } = r
  const flagged = outliers.flagged
  const explained = pca ? pca.explainedVarianceRatio.slice(0, pca.nComponents) : null
  return {
    recipe: spec.recipe,
    k: r.clustering.fit.k,
    kSelection: r.clustering.kSelection,
    metrics: r.metrics,
    metricRows: r.dropped ? 'inliers' : 'all',
    kScan: r.clustering.kScan,
    pcaComponents: pca ? pca.nComponents : null,
    explainedVariance: explained,
    cumulativeExplainedVariance: explained ? explained.reduce((a, v) => a + v, 0) : null,
    outliers: {
      method: spec.outliers.method,
      action: spec.outliers.method === 'none' ? 'none' : spec.outliers.action,
      flagged,
      share: n > 0 ? flagged / n : 0,
      threshold: outliers.method === 'none' ? null : outliers.threshold,
      excludedFromFit: r.rows.excluded,
    },
    segmentSizes: r.assignment.sizes,
    fittedSizes: r.assignment.fittedSizes,
    matchedToPrevious: r.matchedToPrevious,
    counterparts: r.counterparts,
    timingsMs: r.timingsMs,
  }
}

/** Milliseconds (one decimal) of each named lap, measured from the previous lap. */
export function stopwatch(): { lap: (name: string) => void; total: (name: string) => void; timingsMs: Record<string, number> } {
  const timingsMs: Record<string, number> = {}
  const t0 = performance.now()
  let t = t0
  const record = (name: string, since: number): void => {
    const now = performance.now()
    timingsMs[name] = Math.round((now - since) * 10) / 10
    t = now
  }
  return { lap: (name) => record(name, t), total: (name) => record(name, t0), timingsMs }
}
