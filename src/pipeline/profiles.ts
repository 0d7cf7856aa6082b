// Segment profiles: size, share and per-feature summary statistics of each segment.
//
// Quantiles use linear interpolation between order statistics, numpy's default
// (`np.quantile(x, p)`, Hyndman & Fan type 7): with the n values sorted ascending x[0..n-1],
// h = (n - 1) p, q = x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]).
// So the median of an even count is the mean of the two middle values. An empty group has NaN
// statistics (null in JSON).

import type { FeatureStats, FeatureTable, SegmentProfile, SegmentProfiles } from './types.ts'

/** Type 7 quantile of an ascending array, p in [0, 1]; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const h = (n - 1) * p
  const lo = Math.floor(h)
  const a = sorted[lo]!
  if (lo + 1 >= n) return a
  return a + (h - lo) * (sorted[lo + 1]! - a)
}

/** mean, median, p25, p75 of the values (sorted in place). */
export function summarize(values: Float64Array): FeatureStats {
  values.sort()
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i]!
  return {
    mean: values.length > 0 ? sum / values.length : Number.NaN,
    median: quantileSorted(values, 0.5),
    p25: quantileSorted(values, 0.25),
    p75: quantileSorted(values, 0.75),
  }
}

/** Number of segments of an assignment: `k` if given, else max id + 1. */
export function segmentCount(assignment: Int32Array, k?: number): number {
  if (k !== undefined) return k
  let max = -1
  for (let i = 0; i < assignment.length; i++) if (assignment[i]! > max) max = assignment[i]!
  return max + 1
}

/**
 * Rows of each segment: `rows[offsets[s] .. offsets[s + 1])`, in table order. Ids < 0 (unassigned)
 * belong to no segment; ids >= k throw.
 */
export function segmentRows(assignment: Int32Array, k: number): { offsets: Int32Array; rows: Int32Array } {
  const offsets = new Int32Array(k + 1)
  for (let i = 0; i < assignment.length; i++) {
    const s = assignment[i]!
    if (s >= k) throw new Error(`segment id ${s} at row ${i} is not below k = ${k}`)
    if (s >= 0) offsets[s + 1]!++
  }
  for (let s = 0; s < k; s++) offsets[s + 1]! += offsets[s]!
  const fill = offsets.slice(0, k)
  const rows = new Int32Array(offsets[k]!)
  for (let i = 0; i < assignment.length; i++) {
    const s = assignment[i]!
    if (s >= 0) rows[fill[s]!++] = i
  }
  return { offsets, rows }
}

function profileOf(table: FeatureTable, segment: number, rows: Int32Array | null, total: number): SegmentProfile {
  const width = table.features.length
  const n = rows === null ? table.customerIds.length : rows.length
  const profile: Record<string, FeatureStats> = {}
  const buffer = new Float64Array(n)
  for (let f = 0; f < width; f++) {
    for (let i = 0; i < n; i++) buffer[i] = table.values[(rows === null ? i : rows[i]!) * width + f]!
    profile[table.features[f]!] = summarize(buffer)
  }
  return { segment, size: n, share: total > 0 ? n / total : Number.NaN, profile }
}

/**
 * Profiles of every segment of `assignment` (one segment id per table row; k defaults to
 * max id + 1) and of the whole table (`population`, segment -1). share = size / table rows.
 */
export function profileSegments(table: FeatureTable, assignment: Int32Array, k?: number): SegmentProfiles {
  const total = table.customerIds.length
  if (assignment.length !== total) {
    throw new Error(`assignment has ${assignment.length} ids for ${total} customers`)
  }
  const count = segmentCount(assignment, k)
  const { offsets, rows } = segmentRows(assignment, count)
  const segments: SegmentProfile[] = []
  for (let s = 0; s < count; s++) segments.push(profileOf(table, s, rows.subarray(offsets[s]!, offsets[s + 1]!), total))
  return { features: [...table.features], population: profileOf(table, -1, null, total), segments }
}
