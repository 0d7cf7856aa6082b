// Choice of k: fit k-means for every k of the range (plus any extra k wanted in the report, e.g.
// k = 2), score each by silhouette, bootstrap stability and smallest segment share, and pick the
// best silhouette among the k that are stable enough and have no tiny segment.
import type { Matrix } from './types.ts'
import { assignNearest, kmeans, type KMeansResult } from './kmeans.ts'
import { calinskiHarabasz, daviesBouldin, silhouetteScore, silhouetteScores, type SilhouetteOptions } from './metrics.ts'
import { bootstrapStability } from './stability.ts'
import { deriveSeed } from './prng.ts'

export interface SelectKOptions {
  kRange: [number, number]
  /** Also fitted and reported, never chosen (e.g. [2] to show what the data argues for). */
  extraK?: number[]
  nInit?: number
  maxIter?: number
  tol?: number
  seed?: number
  /** Bootstrap resamples per k (default 10); 0 skips the stability check. */
  bootstraps?: number
  /** k-means starts per bootstrap refit (default: nInit). */
  bootstrapNInit?: number
  /** Minimum mean bootstrap ARI (default 0.9). */
  minStability?: number
  /** Minimum share of the smallest segment (default 0.02). */
  minShare?: number
  silhouette?: SilhouetteOptions
}

/**
 * One k of the scan. Every figure is on the evaluated rows (each at its nearest centroid);
 * stability refits on the fitted rows.
 */
export interface KScanEntry {
  k: number
  silhouette: number
  /** Mean bootstrap ARI (NaN when not computed). */
  stability: number
  stabilityMin: number
  inertia: number
  calinskiHarabasz: number
  daviesBouldin: number
  /** Cluster sizes among the evaluated rows, largest first. */
  sizes: number[]
  minShare: number
  /** Inside kRange (a candidate). */
  inRange: boolean
  /** A candidate meeting the stability and share constraints. */
  eligible: boolean
  /** Why a candidate is not eligible. */
  rejected: string[]
}

export interface SelectKResult {
  k: number
  reason: string
  entries: KScanEntry[]
  fits: Map<number, KMeansResult>
}

/**
 * Score one fitted k. `evaluate` (default: the fitted rows `x`) are the rows every figure is
 * computed on, each given its nearest centroid: e.g. all customers while the centroids were
 * fitted without the flagged ones. Stability refits on bootstrap resamples of `x` and compares
 * labelings of `evaluate`.
 */
export function scoreK(x: Matrix, k: number, fit: KMeansResult, opts: SelectKOptions, inRange: boolean, evaluate?: Matrix, silhouette?: number): KScanEntry {
  const E = evaluate ?? x
  const near = evaluate ? assignNearest(E, fit.centroids, k) : { labels: fit.labels, sqDistances: fit.sqDistances }
  const labels = near.labels
  const n = E.rows
  const sizes = new Array<number>(k).fill(0)
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++
  let inertia = 0
  for (let i = 0; i < n; i++) inertia += near.sqDistances[i]!
  const minShare = Math.min(...sizes) / n
  const B = opts.bootstraps ?? 10
  const st =
    B > 0
      ? bootstrapStability(x, k, labels, {
          bootstraps: B,
          seed: deriveSeed(opts.seed ?? 0, 'stability'),
          nInit: opts.bootstrapNInit ?? opts.nInit ?? 10,
          maxIter: opts.maxIter ?? 300,
          tol: opts.tol ?? 1e-4,
          evaluate,
        })
      : { mean: NaN, min: NaN }
  const nonEmpty = sizes.filter((s) => s > 0).length
  const rejected: string[] = []
  const minStability = opts.minStability ?? 0.9
  const minShareReq = opts.minShare ?? 0.02
  if (B > 0 && !(st.mean >= minStability)) rejected.push(`stability ${(Math.floor(st.mean * 1e4) / 1e4).toFixed(4)} < ${minStability}`)
  if (minShare < minShareReq) rejected.push(`smallest segment ${(100 * minShare).toFixed(1)}% < ${100 * minShareReq}%`)
  return {
    k,
    silhouette: silhouette ?? (nonEmpty >= 2 ? silhouetteScore(E, labels, { seed: opts.seed ?? 0, ...opts.silhouette }) : NaN),
    stability: st.mean,
    stabilityMin: st.min,
    inertia,
    calinskiHarabasz: nonEmpty >= 2 ? calinskiHarabasz(E, labels) : NaN,
    daviesBouldin: nonEmpty >= 2 ? daviesBouldin(E, labels) : NaN,
    sizes: [...sizes].sort((a, b) => b - a),
    minShare,
    inRange,
    eligible: inRange && rejected.length === 0,
    rejected,
  }
}

/**
 * Fit every k of the range (and extraK) on `x`, score each on `evaluate` (default `x`), and pick
 * the best silhouette among the k meeting the stability and share constraints.
 */
export function selectK(x: Matrix, opts: SelectKOptions, evaluate?: Matrix): SelectKResult {
  const [lo, hi] = opts.kRange
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 2 || hi < lo) throw new RangeError(`kRange must be integers 2 ≤ lo ≤ hi, got [${lo}, ${hi}]`)
  const ks = new Set<number>()
  for (const k of opts.extraK ?? []) if (k >= 2 && k < x.rows) ks.add(k)
  for (let k = lo; k <= Math.min(hi, x.rows - 1); k++) ks.add(k)
  const order = [...ks].sort((a, b) => a - b)
  if (!order.some((k) => k >= lo && k <= hi)) throw new RangeError(`no k of [${lo}, ${hi}] is possible with ${x.rows} rows`)
  const fits = new Map<number, KMeansResult>()
  for (const k of order) {
    fits.set(k, kmeans(x, { k, nInit: opts.nInit ?? 10, maxIter: opts.maxIter ?? 300, tol: opts.tol ?? 1e-4, seed: deriveSeed(opts.seed ?? 0, 'kmeans', k) }))
  }
  // one shared distance pass for every k's silhouette
  const E = evaluate ?? x
  const labelings = order.map((k) => (evaluate ? assignNearest(E, fits.get(k)!.centroids, k).labels : fits.get(k)!.labels))
  const sil = silhouetteScores(E, labelings, { seed: opts.seed ?? 0, ...opts.silhouette })
  const entries = order.map((k, i) => scoreK(x, k, fits.get(k)!, opts, k >= lo && k <= hi, evaluate, sil[i]!))
  const better = (a: KScanEntry, b: KScanEntry | null): boolean => b === null || a.silhouette > b.silhouette
  let pick: KScanEntry | null = null
  for (const e of entries) if (e.eligible && better(e, pick)) pick = e
  let reason: string
  if (pick) {
    reason = `best silhouette (${pick.silhouette.toFixed(4)}) among k in [${lo}, ${hi}] with stability ≥ ${opts.minStability ?? 0.9} and smallest segment ≥ ${100 * (opts.minShare ?? 0.02)}%`
  } else {
    for (const e of entries) if (e.inRange && e.minShare >= (opts.minShare ?? 0.02) && better(e, pick)) pick = e
    if (pick) reason = `no k met the stability constraint; best silhouette (${pick.silhouette.toFixed(4)}) among k with smallest segment ≥ ${100 * (opts.minShare ?? 0.02)}%`
    else {
      for (const e of entries) if (e.inRange && better(e, pick)) pick = e
      reason = `no k met the constraints; best silhouette (${pick!.silhouette.toFixed(4)}) in [${lo}, ${hi}]`
    }
  }
  return { k: pick!.k, reason, entries, fits }
}
