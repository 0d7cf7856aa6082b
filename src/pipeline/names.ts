// Readable segment names and one-sentence descriptions from the segments' RFM profile.
//
// Each segment is placed against the whole population by its median recency, frequency and
// monetary value: r, f, m are the mid-rank percentiles of those medians among all customers'
// values (0.5 = the population median; r is reversed so that 1 = most recent). Names are then
// handed out in a fixed order, each to at most one segment:
//
//   Refunders        median monetary <= 0, or median cancellation rate >= 0.5 (if the column
//                    exists); the lowest median monetary wins.
//   Champions        the segment with BOTH the lowest median recency and the highest median
//                    monetary of all non-empty segments, if it is also above the population
//                    median on both (r >= 0.5, m >= 0.5). Otherwise nobody is a Champion.
//   Loyal customers  f >= 0.6, r >= 0.5; best f + r/2.
//   Big spenders     m >= 0.6, r >= 0.5; best m.
//   At risk          r < 0.5 and (f >= 0.5 or m >= 0.5); best (1 - r) + max(f, m).
//   New customers    r >= 0.6, f < 0.5 and (with a tenure column) median tenure below the
//                    population's; best r - f (- tenure percentile).
//   Hibernating      r < 0.5, f < 0.5, m < 0.5; best (1 - r) + (1 - f) + (1 - m).
//   About to sleep   r < 0.5; best 1 - r.
//   Promising        r >= 0.5; best r + m.
//   Need attention   any; closest to the population medians.
// Ties go to the smaller segment id. A segment left over (more segments than fitting names) gets
// the first name it is eligible for with a number ("At risk 2"); an empty segment is
// "Empty segment <id>". Deterministic, and unique within one model.

import { quantileSorted, segmentCount, segmentRows } from './profiles.ts'
import type { FeatureTable, SegmentName } from './types.ts'

export interface RfmColumns {
  recency: string
  frequency: string
  monetary: string
  /** Optional: a rate in [0, 1]. */
  cancellation?: string
  /** Optional: days since the first activity. */
  tenure?: string
}

const CANDIDATES: Record<keyof RfmColumns, readonly string[]> = {
  recency: ['recency_days', 'Days_Since_Last_Purchase'],
  frequency: ['frequency', 'Total_Transactions'],
  monetary: ['monetary', 'Total_Spend'],
  cancellation: ['cancellation_rate', 'Cancellation_Rate'],
  tenure: ['tenure_days'],
}

interface Segment {
  id: number
  size: number
  recency: number
  frequency: number
  monetary: number
  cancellation: number | undefined
  /** Percentiles in the population, see above. */
  r: number
  f: number
  m: number
  t: number | undefined
}

interface Archetype {
  name: string
  lead: string
  eligible(s: Segment): boolean
  score(s: Segment): number
}

const ARCHETYPES: readonly Archetype[] = [
  {
    name: 'Loyal customers',
    lead: 'Frequent buyers who keep coming back',
    eligible: (s) => s.f >= 0.6 && s.r >= 0.5,
    score: (s) => s.f + s.r / 2,
  },
  {
    name: 'Big spenders',
    lead: 'Recent customers with high spend',
    eligible: (s) => s.m >= 0.6 && s.r >= 0.5,
    score: (s) => s.m,
  },
  {
    name: 'At risk',
    lead: 'Customers who bought often or spent well but have not bought for a while',
    eligible: (s) => s.r < 0.5 && (s.f >= 0.5 || s.m >= 0.5),
    score: (s) => 1 - s.r + Math.max(s.f, s.m),
  },
  {
    name: 'New customers',
    lead: 'Recent first-time buyers with few orders so far',
    eligible: (s) => s.r >= 0.6 && s.f < 0.5 && (s.t === undefined || s.t < 0.5),
    score: (s) => s.r - s.f - (s.t ?? 0),
  },
  {
    name: 'Hibernating',
    lead: 'Long inactive customers with few orders and low spend',
    eligible: (s) => s.r < 0.5 && s.f < 0.5 && s.m < 0.5,
    score: (s) => 3 - s.r - s.f - s.m,
  },
  {
    name: 'About to sleep',
    lead: 'Customers whose last purchase is older than most and who may lapse without a nudge',
    eligible: (s) => s.r < 0.5,
    score: (s) => 1 - s.r,
  },
  {
    name: 'Promising',
    lead: 'Recent buyers with room to grow in frequency and spend',
    eligible: (s) => s.r >= 0.5,
    score: (s) => s.r + s.m,
  },
  {
    name: 'Need attention',
    lead: 'Customers close to the average in recency, frequency and spend',
    eligible: () => true,
    score: (s) => -(Math.abs(s.r - 0.5) + Math.abs(s.f - 0.5) + Math.abs(s.m - 0.5)),
  },
]

const REFUNDERS: Archetype = {
  name: 'Refunders',
  lead: 'Customers whose cancellations outweigh their purchases',
  eligible: (s) => s.monetary <= 0 || (s.cancellation !== undefined && s.cancellation >= 0.5),
  score: (s) => -s.monetary,
}

const CHAMPIONS_LEAD = 'The best customers: the most recent buyers with the highest spend'

function findColumn(table: FeatureTable, key: keyof RfmColumns, given: string | undefined, required: boolean): number {
  const names = given !== undefined ? [given] : CANDIDATES[key]
  for (const name of names) {
    const i = table.features.indexOf(name)
    if (i >= 0) return i
  }
  if (required || given !== undefined) {
    throw new Error(`names: no ${key} column (looked for ${names.join(', ')}) in the ${table.recipe} table`)
  }
  return -1
}

/** Mid-rank percentile of v among the ascending values: (#below + #equal / 2) / n. */
function percentile(sorted: Float64Array, v: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < v) lo = mid + 1
    else hi = mid
  }
  const below = lo
  hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= v) lo = mid + 1
    else hi = mid
  }
  return (below + (lo - below) / 2) / sorted.length
}

function formatNumber(v: number, decimals: number): string {
  const fixed = Math.abs(v).toFixed(decimals)
  const [int, frac] = fixed.split('.') as [string, string | undefined]
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const sign = v < 0 && Number(fixed) !== 0 ? '-' : ''
  return sign + grouped + (frac !== undefined ? `.${frac}` : '')
}

function describe(lead: string, s: Segment, total: number): string {
  const days = Math.round(s.recency)
  const orders = Number.isInteger(s.frequency) ? formatNumber(s.frequency, 0) : formatNumber(s.frequency, 1)
  const share = formatNumber((100 * s.size) / total, 1)
  return (
    `${lead} (${share}% of customers; median: last purchase ${days} ${days === 1 ? 'day' : 'days'} ago, ` +
    `${orders} ${s.frequency === 1 ? 'order' : 'orders'}, net spend ${formatNumber(s.monetary, 0)}).`
  )
}

/**
 * Names and describes every segment of `assignment` (one id per table row, k defaults to
 * max id + 1) from the table's recency, frequency and monetary columns (found by name in the
 * `default` or `original` recipe, or given).
 */
export function nameSegments(
  table: FeatureTable,
  assignment: Int32Array,
  options: { k?: number; columns?: Partial<RfmColumns> } = {},
): SegmentName[] {
  const { segments, names } = segmentMedians(table, assignment, options)
  return giveNames(segments, names, table.customerIds.length)
}

/** Each non-empty segment's medians and population percentiles; an empty one is named already. */
function segmentMedians(
  table: FeatureTable,
  assignment: Int32Array,
  options: { k?: number; columns?: Partial<RfmColumns> },
): { segments: Segment[]; names: (SegmentName | undefined)[] } {
  const total = table.customerIds.length
  if (assignment.length !== total) throw new Error(`assignment has ${assignment.length} ids for ${total} customers`)
  const width = table.features.length
  const columns = options.columns ?? {}
  const cols = {
    recency: findColumn(table, 'recency', columns.recency, true),
    frequency: findColumn(table, 'frequency', columns.frequency, true),
    monetary: findColumn(table, 'monetary', columns.monetary, true),
    cancellation: findColumn(table, 'cancellation', columns.cancellation, false),
    tenure: findColumn(table, 'tenure', columns.tenure, false),
  }
  const column = (c: number, rows: Int32Array | null): Float64Array => {
    const n = rows === null ? total : rows.length
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = table.values[(rows === null ? i : rows[i]!) * width + c]!
    return out.sort()
  }
  const population = {
    recency: column(cols.recency, null),
    frequency: column(cols.frequency, null),
    monetary: column(cols.monetary, null),
    tenure: cols.tenure >= 0 ? column(cols.tenure, null) : null,
  }

  const k = segmentCount(assignment, options.k)
  const { offsets, rows } = segmentRows(assignment, k)
  const names: (SegmentName | undefined)[] = new Array(k)
  const segments: Segment[] = []
  for (let id = 0; id < k; id++) {
    const members = rows.subarray(offsets[id]!, offsets[id + 1]!)
    if (members.length === 0) {
      names[id] = { segment: id, name: `Empty segment ${id}`, description: 'No customers are assigned to this segment.' }
      continue
    }
    const median = (c: number): number => quantileSorted(column(c, members), 0.5)
    const recency = median(cols.recency)
    const frequency = median(cols.frequency)
    const monetary = median(cols.monetary)
    segments.push({
      id,
      size: members.length,
      recency,
      frequency,
      monetary,
      cancellation: cols.cancellation >= 0 ? median(cols.cancellation) : undefined,
      r: 1 - percentile(population.recency, recency),
      f: percentile(population.frequency, frequency),
      m: percentile(population.monetary, monetary),
      t: population.tenure !== null ? percentile(population.tenure, median(cols.tenure)) : undefined,
    })
  }
  return { segments, names }
}

/** Names by archetype: refunders, champions, the archetypes in order, then numbered leftovers. */
function giveNames(segments: readonly Segment[], names: (SegmentName | undefined)[], total: number): SegmentName[] {
  const open = new Set(segments)
  const give = (s: Segment, name: string, lead: string): void => {
    names[s.id] = { segment: s.id, name, description: describe(lead, s, total) }
    open.delete(s)
  }
  const best = (a: Archetype): Segment | undefined => {
    let winner: Segment | undefined
    for (const s of open) if (a.eligible(s) && (winner === undefined || a.score(s) > a.score(winner))) winner = s
    return winner
  }

  const refunders = best(REFUNDERS)
  if (refunders !== undefined) give(refunders, REFUNDERS.name, REFUNDERS.lead)

  // Champions: lowest median recency and highest median monetary at once.
  let minRecency = Number.POSITIVE_INFINITY
  let maxMonetary = Number.NEGATIVE_INFINITY
  for (const s of segments) {
    minRecency = Math.min(minRecency, s.recency)
    maxMonetary = Math.max(maxMonetary, s.monetary)
  }
  for (const s of open) {
    if (s.recency === minRecency && s.monetary === maxMonetary && s.r >= 0.5 && s.m >= 0.5) {
      give(s, 'Champions', CHAMPIONS_LEAD)
      break
    }
  }

  for (const a of ARCHETYPES) {
    const s = best(a)
    if (s !== undefined) give(s, a.name, a.lead)
  }

  // Left over: the first fitting name, numbered.
  const used = new Map<string, number>()
  for (const n of names) if (n !== undefined) used.set(n.name, 1)
  for (const s of [...open]) {
    const a = [REFUNDERS, ...ARCHETYPES].find((x) => x.eligible(s)) ?? ARCHETYPES[ARCHETYPES.length - 1]!
    const count = (used.get(a.name) ?? 0) + 1
    used.set(a.name, count)
    give(s, `${a.name} ${count}`, a.lead)
  }
  return names as SegmentName[]
}
