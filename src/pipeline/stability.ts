// Bootstrap stability of a k-means solution: refit on B bootstrap resamples (n rows drawn with
// replacement, fitted as distinct rows weighted by multiplicity), label the evaluated rows (the
// full data) with each refit's centroids, and compare with the full-data model's labels by
// adjusted Rand index. 1 means every resample finds the same partition.
import type { Matrix } from './types.ts'
import { takeRows } from './linalg.ts'
import { assignNearest, kmeans } from './kmeans.ts'
import { adjustedRandIndex } from './metrics.ts'
import { deriveSeed, mulberry32, randInt } from './prng.ts'

export interface StabilityOptions {
  /** Resamples (default 10). */
  bootstraps?: number
  seed?: number
  /** k-means starts per refit (default 10, like the full fit). */
  nInit?: number
  maxIter?: number
  tol?: number
  /** Rows the labelings are compared on (default: x); `reference` labels these rows. */
  evaluate?: Matrix
}

export interface StabilityResult {
  /** Mean ARI over the resamples. */
  mean: number
  std: number
  min: number
  /** ARI of each resample. */
  values: number[]
}

export function bootstrapStability(x: Matrix, k: number, reference: ArrayLike<number>, opts: StabilityOptions = {}): StabilityResult {
  const B = opts.bootstraps ?? 10
  const seed = opts.seed ?? 0
  const n = x.rows
  const values: number[] = []
  const mult = new Float64Array(n)
  for (let b = 0; b < B; b++) {
    const rng = mulberry32(deriveSeed(seed, 'bootstrap', k, b))
    mult.fill(0)
    for (let i = 0; i < n; i++) mult[randInt(rng, n)]!++
    // the resample as its distinct rows weighted by multiplicity (same k-means problem, ~37% fewer rows)
    const distinct: number[] = []
    for (let i = 0; i < n; i++) if (mult[i]! > 0) distinct.push(i)
    const fit = kmeans(takeRows(x, distinct), {
      k,
      weights: Float64Array.from(distinct, (i) => mult[i]!),
      nInit: opts.nInit ?? 10,
      maxIter: opts.maxIter ?? 300,
      tol: opts.tol ?? 1e-4,
      seed: deriveSeed(seed, 'bootstrap-fit', k, b),
    })
    values.push(adjustedRandIndex(reference, assignNearest(opts.evaluate ?? x, fit.centroids, k).labels))
  }
  const mean = values.reduce((a, v) => a + v, 0) / Math.max(1, B)
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / Math.max(1, B))
  return { mean, std, min: Math.min(...values), values }
}
