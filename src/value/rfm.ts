// RFM scores and the classic named groups.
//
// Scores are rank-based quintiles, 1 (worst) to 5 (best), per dimension:
//   recency   = days from the last purchase to asOf: fewer days scores higher;
//   frequency = invoices: more scores higher;
//   monetary  = net spend: more scores higher.
// Customers are ordered from worst to best on the dimension, ties broken by customer id
// (ascending, numbers numerically, otherwise as strings), and the customer at position i of n
// (0-based) gets 1 + floor(5 i / n). This is pandas' qcut(rank(method='first'), 5) with an explicit
// secondary order: scores are deterministic, every score has n/5 customers (±1), and customers with
// equal values may get adjacent scores (the price of equal-sized quintiles on tied data, e.g. the
// many one-invoice customers).
//
// Groups come from R and FM = round((F + M) / 2) (halves round up), on the 5 × 5 grid below. The
// published map (Putler's RFM segmentation guide, the table used by many RFM tools, e.g.
// https://docs.churned.io/churned-docs/dashboard-and-features/rfv-model-segment-best-practices/rfm-model)
// gives each group ranges of R and FM:
//   Champions 4-5 / 4-5, Loyal 2-5 / 3-5, Potential Loyalist 3-5 / 1-3, New (Recent) 4-5 / 0-1,
//   Promising 3-4 / 0-1, Need Attention 2-3 / 2-3, About to Sleep 2-3 / 0-2, At Risk 0-2 / 2-5,
//   Can't Lose Them 0-1 / 4-5, Hibernating 1-2 / 1-2, Lost 0-2 / 0-2.
// The ranges overlap, so the table alone does not place every cell; the grid assigns each cell one
// group whose ranges contain it, so every group has at least one cell:
//
//   R \ FM    1               2                   3                   4                5
//   5         New             Potential Loyalist  Potential Loyalist  Champions        Champions
//   4         Promising       Potential Loyalist  Loyal               Champions        Champions
//   3         Promising       Need Attention      Need Attention      Loyal            Loyal
//   2         About to Sleep  Hibernating         At Risk             At Risk          At Risk
//   1         Lost            Lost                At Risk             Can't Lose Them  Can't Lose Them

export type RfmGroup =
  | 'Champions'
  | 'Loyal'
  | 'Potential Loyalist'
  | 'New'
  | 'Promising'
  | 'Need Attention'
  | 'About to Sleep'
  | 'At Risk'
  | "Can't Lose Them"
  | 'Hibernating'
  | 'Lost'

export const RFM_GROUPS: readonly RfmGroup[] = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  "Can't Lose Them",
  'Hibernating',
  'Lost',
]

/** RFM_GRID[R − 1][FM − 1]. */
export const RFM_GRID: readonly (readonly RfmGroup[])[] = [
  ['Lost', 'Lost', 'At Risk', "Can't Lose Them", "Can't Lose Them"],
  ['About to Sleep', 'Hibernating', 'At Risk', 'At Risk', 'At Risk'],
  ['Promising', 'Need Attention', 'Need Attention', 'Loyal', 'Loyal'],
  ['Promising', 'Potential Loyalist', 'Loyal', 'Champions', 'Champions'],
  ['New', 'Potential Loyalist', 'Potential Loyalist', 'Champions', 'Champions'],
]

export interface RfmInput {
  id: number | string
  /** Days from the last purchase to asOf. */
  recencyDays: number
  /** Invoices. */
  frequency: number
  /** Net spend. */
  monetary: number
}

export interface RfmScore {
  r: number
  f: number
  m: number
  /** "RFM" as three digits, e.g. "545". */
  score: string
  /** round((F + M) / 2). */
  fm: number
  group: RfmGroup
}

function compareIds(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

/**
 * Quintile scores 1..5 of `values` (higher value = higher score), ties by id ascending: position i
 * (0-based, worst first) scores 1 + floor(5 i / n).
 */
export function quintileScores(values: ArrayLike<number>, ids: ArrayLike<number | string>): Int8Array {
  const n = values.length
  if (ids.length !== n) throw new RangeError('quintileScores: values and ids differ in length')
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i]!)) throw new RangeError(`quintileScores: value ${i} is NaN`)
  order.sort((i, j) => values[i]! - values[j]! || compareIds(ids[i]!, ids[j]!))
  const scores = new Int8Array(n)
  for (let pos = 0; pos < n; pos++) scores[order[pos]!] = 1 + Math.floor((5 * pos) / n)
  return scores
}

export function rfmGroup(r: number, fm: number): RfmGroup {
  const row = RFM_GRID[r - 1]
  const g = row?.[fm - 1]
  if (g === undefined) throw new RangeError(`rfmGroup: R = ${r}, FM = ${fm} outside 1..5`)
  return g
}

/** Scores and groups of all customers (scores are relative to this population). */
export function rfmScores(customers: ReadonlyArray<RfmInput>): RfmScore[] {
  const ids = customers.map((c) => c.id)
  // recency: fewer days is better, so score the negated days
  const r = quintileScores(customers.map((c) => -c.recencyDays), ids)
  const f = quintileScores(customers.map((c) => c.frequency), ids)
  const m = quintileScores(customers.map((c) => c.monetary), ids)
  return customers.map((_, i) => {
    const fm = Math.floor((f[i]! + m[i]!) / 2 + 0.5)
    return { r: r[i]!, f: f[i]!, m: m[i]!, score: `${r[i]}${f[i]}${m[i]}`, fm, group: rfmGroup(r[i]!, fm) }
  })
}
