// Population Stability Index: binning at reference quantiles, proportions per bin, the index and
// its usual bands.
import { quantileSorted } from '../../pipeline/profiles.ts'
import { sorted } from './samples.ts'

/** Proportion substituted for an empty bin, as Evidently's get_binned_data (1e-4). */
export const PSI_EPSILON = 1e-4

/**
 * Population Stability Index of two binned distributions (proportions per bin, each summing to 1):
 *   PSI = Σ_i (c_i - r_i) · ln(c_i / r_i)
 * where an empty bin's proportion (r_i or c_i = 0) is replaced by `epsilon` (no renormalisation,
 * as Evidently). Always ≥ 0. Bands: < 0.1 none, 0.1-0.25 moderate, ≥ 0.25 significant.
 */
export function psiFromProportions(reference: ArrayLike<number>, current: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  if (reference.length !== current.length) throw new RangeError('psi needs vectors of the same length')
  let psi = 0
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! > 0 ? reference[i]! : epsilon
    const c = current[i]! > 0 ? current[i]! : epsilon
    psi += (c - r) * Math.log(c / r)
  }
  return psi
}

/** Interior edges of `bins` equal-mass bins of an ascending sample: its quantiles k / bins, duplicates dropped. */
export function quantileEdges(sortedReference: ArrayLike<number>, bins: number): number[] {
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedReference, k / bins)
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e)
  }
  return edges
}

/**
 * Proportions of an ascending sample in the bins (-∞, e1], (e1, e2], …, (e_last, +∞) cut by
 * ascending `edges` (right-closed, so a value equal to an edge counts with the lower bin).
 */
export function binProportions(sortedValues: ArrayLike<number>, edges: readonly number[]): Float64Array {
  const out = new Float64Array(edges.length + 1)
  const n = sortedValues.length
  let bin = 0
  for (let i = 0; i < n; i++) {
    const v = sortedValues[i]!
    while (bin < edges.length && v > edges[bin]!) bin++
    out[bin]!++
  }
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / n
  return out
}

/**
 * PSI of a current sample against a reference sample with `bins` bins cut at the reference's
 * quantiles k / bins (numpy 'linear'); tied quantiles merge bins. Default 10 bins (deciles).
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>, bins = 10, epsilon = PSI_EPSILON): number {
  const r = sorted(reference)
  const c = sorted(current)
  if (r.length === 0 || c.length === 0) throw new RangeError('psi needs two non-empty samples')
  const edges = quantileEdges(r, bins)
  return psiFromProportions(binProportions(r, edges), binProportions(c, edges), epsilon)
}

export type PsiBand = 'none' | 'moderate' | 'significant'

/** The usual PSI reading: < 0.1 no change, 0.1-0.25 moderate, ≥ 0.25 significant. */
export function psiBand(value: number): PsiBand {
  return value >= 0.25 ? 'significant' : value >= 0.1 ? 'moderate' : 'none'
}
