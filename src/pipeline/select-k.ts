// Choice of k: fit k-means for every k of the range (plus any extra k wanted in the report, e.g.
// k = 2), score each by silhouette, bootstrap stability and smallest segment share, and pick the
// best silhouette among the k that are stable enough and have no tiny segment.
import type { Matrix } from './types.ts'
import { kmeans, type KMeansResult } from './kmeans.ts'
import { calinskiHarabasz, daviesBouldin, silhouetteScores, type SilhouetteOptions } from './metrics.ts'
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

/** One k of the scan; every figure is on the rows the centroids were fitted on. */
export interface KScanEntry {
  k: number
  silhouette: number
  /** Mean bootstrap ARI (NaN when not computed). */
  stability: number
  stabilityMin: number
  inertia: number
  calinskiHarabasz: number
  daviesBouldin: number
  /** Cluster sizes among the fitted rows, largest first. */
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

/** Fit and score one k (used for a fixed k, and per k of a scan). */
export function scoreK(x: Matrix, k: number, fit: KMeansResult, silhouette: number, opts: SelectKOptions, inRange: boolean): KScanEntry {
  const n = x.rows
  const sizes = new Array<number>(k).fill(0)
  for (let i = 0; i < n; i++) sizes[fit.labels[i]!]!++
  const minShare = Math.min(...sizes) / n
  const B = opts.bootstraps ?? 10
  const st =
    B > 0
      ? bootstrapStability(x, k, fit.labels, {
          bootstraps: B,
          seed: deriveSeed(opts.seed ?? 0, 'stability'),
          nInit: opts.bootstrapNInit ?? opts.nInit ?? 10,
          maxIter: opts.maxIter ?? 300,
          tol: opts.tol ?? 1e-4,
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
    silhouette,
    stability: st.mean,
    stabilityMin: st.min,
    inertia: fit.inertia,
    calinskiHarabasz: nonEmpty >= 2 ? calinskiHarabasz(x, fit.labels) : NaN,
    daviesBouldin: nonEmpty >= 2 ? daviesBouldin(x, fit.labels) : NaN,
    sizes: [...sizes].sort((a, b) => b - a),
    minShare,
    inRange,
    eligible: inRange && rejected.length === 0,
    rejected,
  }
}

export function selectK(x: Matrix, opts: SelectKOptions): SelectKResult {
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
  // one shared O(n²) distance pass for every k's silhouette
  const sil = silhouetteScores(x, order.map((k) => fits.get(k)!.labels), { seed: opts.seed ?? 0, ...opts.silhouette })
  const entries = order.map((k, i) => scoreK(x, k, fits.get(k)!, sil[i]!, opts, k >= lo && k <= hi))
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
