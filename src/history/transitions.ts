// Who moved where between two model versions: the transition matrix between their labels
// (segment ids, or RFM groups), with row shares, and the customers who entered or left.
// A pure function of the two assignment lists, so the route, the webhook summary and the
// test's independent computation all read the same numbers.

export interface Labelled<L> {
  customerId: string
  label: L
}

export interface Transitions<L> {
  /** Row labels (the earlier version's), then column labels (the later version's), sorted. */
  from: L[]
  to: L[]
  /** counts[i][j]: customers labelled from[i] before and to[j] after. */
  counts: number[][]
  /** counts[i][j] / Σ_j counts[i][j]; a row with no customers is all zeros. */
  shares: number[][]
  /** Customers in both versions (= Σ counts). */
  stayed: number
  /** In the later version only, and in the earlier only. */
  entered: { count: number; byLabel: { label: L; count: number }[] }
  left: { count: number; byLabel: { label: L; count: number }[] }
}

function tally<L>(labels: L[], values: Iterable<L>): { label: L; count: number }[] {
  const counts = new Map<L, number>(labels.map((l) => [l, 0]))
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return labels.map((label) => ({ label, count: counts.get(label)! }))
}

/**
 * `fromLabels` / `toLabels` fix the matrix's rows and columns (every segment of each version,
 * even one nobody moved to); labels met in the assignments but not listed are added, sorted.
 * `keepOrder`: the listed labels stay in the given order (the RFM groups' canonical order,
 * Champions first), unlisted ones follow, sorted.
 */
export function transitions<L extends string | number>(
  before: Iterable<Labelled<L>>, after: Iterable<Labelled<L>>, fromLabels: L[] = [], toLabels: L[] = [], keepOrder = false,
): Transitions<L> {
  const earlier = new Map<string, L>()
  for (const a of before) earlier.set(a.customerId, a.label)
  const later = new Map<string, L>()
  for (const a of after) later.set(a.customerId, a.label)
  const sorted = (xs: Iterable<L>) => [...new Set(xs)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  const order = (listed: L[], met: Iterable<L>) =>
    keepOrder ? [...new Set(listed), ...sorted([...met].filter((l) => !listed.includes(l)))] : sorted([...listed, ...met])
  const from = order(fromLabels, earlier.values())
  const to = order(toLabels, later.values())
  const row = new Map(from.map((l, i) => [l, i]))
  const col = new Map(to.map((l, j) => [l, j]))
  const counts = from.map(() => to.map(() => 0))
  const enteredLabels: L[] = []
  let stayed = 0
  for (const [id, label] of later) {
    const was = earlier.get(id)
    if (was === undefined) { enteredLabels.push(label); continue }
    counts[row.get(was)!]![col.get(label)!]! += 1
    stayed += 1
  }
  const leftLabels: L[] = []
  for (const [id, label] of earlier) if (!later.has(id)) leftLabels.push(label)
  const shares = counts.map((r) => {
    const total = r.reduce((s, c) => s + c, 0)
    return r.map((c) => (total === 0 ? 0 : c / total))
  })
  return {
    from, to, counts, shares, stayed,
    entered: { count: enteredLabels.length, byLabel: tally(to, enteredLabels) },
    left: { count: leftLabels.length, byLabel: tally(from, leftLabels) },
  }
}
