// PCA on typed arrays: covariance matrix + cyclic Jacobi eigen-decomposition. For p ≤ ~50 columns
// this is exact to ~1e-12 and 20-50x faster than ml-pca (measured: see docs/benchmarks.md), and
// it keeps everything in Float64Array. Component signs follow the original's (older sklearn)
// svd_flip rule: each component's largest-magnitude training score is positive.
import type { Matrix } from './types.ts'
import { colMeans } from './linalg.ts'

/**
 * How many components to keep. `cumulative-plus-one`: the original's rule, one more than the
 * first count whose cumulative explained-variance ratio exceeds `threshold` (6 on the reference
 * data at 0.8). `all`: every component. `fixed`: exactly `n`.
 */
export type PcaComponentRule =
  | { rule: 'cumulative-plus-one'; threshold: number }
  | { rule: 'all' }
  | { rule: 'fixed'; n: number }

export interface PcaModel {
  /** Column means of the fitting data (the projection centre). */
  mean: number[]
  /** Kept components, nComponents x p, unit length, in decreasing variance. */
  components: number[][]
  nComponents: number
  /** Variance (ddof 1, like sklearn's explained_variance_) of every component, p values. */
  explainedVariance: number[]
  /** explainedVariance / total variance, p values. */
  explainedVarianceRatio: number[]
}

/** Eigen-decomposition of a symmetric p x p matrix (row-major, destroyed). Vectors in columns. */
export function symmetricEigen(a: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(p * p)
  for (let i = 0; i < p; i++) v[i * p + i] = 1
  let total = 0
  for (let i = 0; i < p * p; i++) total += a[i]! * a[i]!
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += a[i * p + j]! * a[i * p + j]!
    if (off <= 1e-30 * total || off === 0) break
    for (let q0 = 0; q0 < p - 1; q0++) {
      for (let q1 = q0 + 1; q1 < p; q1++) {
        const apq = a[q0 * p + q1]!
        if (apq === 0) continue
        const app = a[q0 * p + q0]!
        const aqq = a[q1 * p + q1]!
        const theta = (aqq - app) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < p; k++) {
          const akp = a[k * p + q0]!
          const akq = a[k * p + q1]!
          a[k * p + q0] = c * akp - s * akq
          a[k * p + q1] = s * akp + c * akq
        }
        for (let k = 0; k < p; k++) {
          const apk = a[q0 * p + k]!
          const aqk = a[q1 * p + k]!
          a[q0 * p + k] = c * apk - s * aqk
          a[q1 * p + k] = s * apk + c * aqk
        }
        for (let k = 0; k < p; k++) {
          const vkp = v[k * p + q0]!
          const vkq = v[k * p + q1]!
          v[k * p + q0] = c * vkp - s * vkq
          v[k * p + q1] = s * vkp + c * vkq
        }
      }
    }
  }
  const values = new Float64Array(p)
  for (let i = 0; i < p; i++) values[i] = a[i * p + i]!
  return { values, vectors: v }
}

export function componentCount(rule: PcaComponentRule, ratios: readonly number[]): number {
  const p = ratios.length
  switch (rule.rule) {
    case 'all':
      return p
    case 'fixed':
      if (!Number.isInteger(rule.n) || rule.n < 1 || rule.n > p) throw new RangeError(`PCA: cannot keep ${rule.n} of ${p} components`)
      return rule.n
    case 'cumulative-plus-one': {
      let cum = 0
      for (let i = 0; i < p; i++) {
        cum += ratios[i]!
        if (cum > rule.threshold) return Math.min(p, i + 2)
      }
      return p
    }
  }
}

/** Fit PCA on `x` (n x p, n ≥ 2). */
export function fitPca(x: Matrix, rule: PcaComponentRule = { rule: 'all' }): PcaModel {
  const n = x.rows
  const p = x.cols
  if (n < 2 || p < 1) throw new RangeError(`PCA needs at least 2 rows and 1 column, got ${n}x${p}`)
  const mean = colMeans(x)
  const cov = new Float64Array(p * p)
  const row = new Float64Array(p)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = x.data[i * p + j]! - mean[j]!
    for (let j = 0; j < p; j++) {
      const rj = row[j]!
      if (rj === 0) continue
      for (let k = j; k < p; k++) cov[j * p + k]! += rj * row[k]!
    }
  }
  for (let j = 0; j < p; j++) {
    for (let k = j; k < p; k++) {
      const c = cov[j * p + k]! / (n - 1)
      cov[j * p + k] = c
      cov[k * p + j] = c
    }
  }
  let trace = 0
  for (let j = 0; j < p; j++) trace += cov[j * p + j]!
  const { values, vectors } = symmetricEigen(cov, p)
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b)
  const explainedVariance = order.map((i) => Math.max(0, values[i]!))
  const explainedVarianceRatio = explainedVariance.map((v) => (trace > 0 ? v / trace : 0))
  const nComponents = componentCount(rule, explainedVarianceRatio)
  const components: number[][] = []
  for (let c = 0; c < nComponents; c++) {
    const col = order[c]!
    const comp: number[] = []
    for (let j = 0; j < p; j++) comp.push(vectors[j * p + col]!)
    // svd_flip (u-based): make the largest |score| of this component positive.
    let best = 0
    let bestAbs = -1
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < p; j++) s += (x.data[i * p + j]! - mean[j]!) * comp[j]!
      if (Math.abs(s) > bestAbs) {
        bestAbs = Math.abs(s)
        best = s
      }
    }
    if (best < 0) for (let j = 0; j < p; j++) comp[j] = -comp[j]!
    components.push(comp)
  }
  return { mean: Array.from(mean), components, nComponents, explainedVariance, explainedVarianceRatio }
}

/** Project row `src[so..so+p)` into `dst[do..do+nComponents)`. */
export function projectRow(model: PcaModel, src: ArrayLike<number>, so: number, dst: Float64Array, dOff = 0): void {
  const mean = model.mean
  const p = mean.length
  for (let c = 0; c < model.nComponents; c++) {
    const comp = model.components[c]!
    let s = 0
    for (let j = 0; j < p; j++) s += (src[so + j]! - mean[j]!) * comp[j]!
    dst[dOff + c] = s
  }
}

/** Scores of every row of `x` on the kept components. */
export function projectPca(model: PcaModel, x: Matrix): Matrix {
  const p = model.mean.length
  if (x.cols !== p) throw new RangeError(`PCA expects ${p} columns, got ${x.cols}`)
  const k = model.nComponents
  const out = new Float64Array(x.rows * k)
  for (let i = 0; i < x.rows; i++) projectRow(model, x.data, i * p, out, i * k)
  return { rows: x.rows, cols: k, data: out }
}

/** Map component scores back to the input space: mean + scores · components. */
export function inversePca(model: PcaModel, scores: Matrix): Matrix {
  const p = model.mean.length
  const k = model.nComponents
  const out = new Float64Array(scores.rows * p)
  for (let i = 0; i < scores.rows; i++) {
    for (let j = 0; j < p; j++) {
      let s = model.mean[j]!
      for (let c = 0; c < k; c++) s += scores.data[i * k + c]! * model.components[c]![j]!
      out[i * p + j] = s
    }
  }
  return { rows: scores.rows, cols: p, data: out }
}

/** Squared reconstruction error of each row, and their mean. */
export function reconstructionError(model: PcaModel, x: Matrix): { perRow: Float64Array; mean: number } {
  const back = inversePca(model, projectPca(model, x))
  const perRow = new Float64Array(x.rows)
  let total = 0
  for (let i = 0; i < x.rows; i++) {
    let s = 0
    for (let j = 0; j < x.cols; j++) {
      const t = x.data[i * x.cols + j]! - back.data[i * x.cols + j]!
      s += t * t
    }
    perRow[i] = s
    total += s
  }
  return { perRow, mean: x.rows > 0 ? total / x.rows : 0 }
}
