// Training steps 4 and 5: choose k (by silhouette under the stability and share constraints,
// select-k.ts) or take the caller's, and fit k-means on the fitted rows.
import type { Matrix } from './types.ts'
import { kmeans, type KMeansResult } from './kmeans.ts'
import { scoreK, selectK, type KScanEntry, type SelectKOptions } from './select-k.ts'
import type { KMeansSpec } from './model-spec.ts'
import { deriveSeed } from './prng.ts'

export interface Clustering {
  fit: KMeansResult
  /** Every k fitted and scored (one entry for a fixed k). */
  kScan: KScanEntry[]
  kSelection: string
  /** The scan entry of the chosen k: its figures are the model's metrics. */
  chosen: KScanEntry
}

export function selectKOptions(km: KMeansSpec, kRange: [number, number], seed: number): SelectKOptions {
  return {
    kRange,
    extraK: km.extraK,
    nInit: km.nInit,
    maxIter: km.maxIter,
    tol: km.tol,
    seed,
    bootstraps: km.bootstraps,
    bootstrapNInit: km.bootstrapNInit,
    minStability: km.minStability,
    minShare: km.minShare,
  }
}

/** k chosen over the range: each k is fitted on `x` and scored on `evaluate` (default `x`). */
export function chooseK(x: Matrix, opts: SelectKOptions, evaluate?: Matrix): Clustering {
  const sel = selectK(x, opts, evaluate)
  return { fit: sel.fits.get(sel.k)!, kScan: sel.entries, kSelection: sel.reason, chosen: sel.entries.find((e) => e.k === sel.k)! }
}

/** k-means at the caller's k, scored like a scan entry. */
export function fitK(x: Matrix, k: number, opts: SelectKOptions, evaluate?: Matrix): Clustering {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2 or 'auto', got ${k}`)
  const fit = kmeans(x, { k, nInit: opts.nInit, maxIter: opts.maxIter, tol: opts.tol, seed: deriveSeed(opts.seed ?? 0, 'kmeans', k) })
  const chosen = scoreK(x, k, fit, opts, true, evaluate)
  return { fit, kScan: [chosen], kSelection: `fixed k = ${k}`, chosen }
}

export function cluster(x: Matrix, k: number | 'auto', opts: SelectKOptions, evaluate?: Matrix): Clustering {
  return k === 'auto' ? chooseK(x, opts, evaluate) : fitK(x, k, opts, evaluate)
}
