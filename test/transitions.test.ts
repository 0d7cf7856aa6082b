// The transition matrix between two versions' labels, by hand and against a direct count.
import t from 'tap'
import fc from 'fast-check'
import { transitions } from '../src/history/transitions.ts'

t.test('a hand-counted case', async (t) => {
  const before = [['a', 0], ['b', 0], ['c', 1], ['d', 1], ['e', 2]].map(([customerId, label]) => ({ customerId: customerId as string, label: label as number }))
  const after = [['a', 0], ['b', 1], ['c', 1], ['f', 2], ['g', 0]].map(([customerId, label]) => ({ customerId: customerId as string, label: label as number }))
  const m = transitions(before, after, [0, 1, 2], [0, 1, 2, 3])
  t.same(m.from, [0, 1, 2])
  t.same(m.to, [0, 1, 2, 3], 'a segment nobody moved to keeps its column')
  t.same(m.counts, [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
  t.same(m.shares, [[0.5, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]])
  t.equal(m.stayed, 3)
  t.same(m.entered, { count: 2, byLabel: [{ label: 0, count: 1 }, { label: 1, count: 0 }, { label: 2, count: 1 }, { label: 3, count: 0 }] })
  t.same(m.left, { count: 2, byLabel: [{ label: 0, count: 0 }, { label: 1, count: 1 }, { label: 2, count: 1 }] })
})

t.test('RFM groups as labels', async (t) => {
  const m = transitions([{ customerId: '1', label: 'Champions' }, { customerId: '2', label: 'Loyal' }],
    [{ customerId: '1', label: 'At Risk' }, { customerId: '2', label: 'Loyal' }])
  t.same(m.from, ['Champions', 'Loyal'])
  t.same(m.to, ['At Risk', 'Loyal'])
  t.same(m.counts, [[1, 0], [0, 1]])
  const kept = transitions([{ customerId: '1', label: 'Champions' }, { customerId: '2', label: 'Loyal' }],
    [{ customerId: '1', label: 'At Risk' }, { customerId: '3', label: 'Lost' }], ['Loyal', 'Champions'], ['Lost', 'At Risk', 'New'], true)
  t.same(kept.from, ['Loyal', 'Champions'], 'keepOrder: listed labels in the given order')
  t.same(kept.to, ['Lost', 'At Risk', 'New'])
  t.same(kept.counts, [[0, 0, 0], [0, 1, 0]])
  t.same(kept.entered.byLabel, [{ label: 'Lost', count: 1 }, { label: 'At Risk', count: 0 }, { label: 'New', count: 0 }])
  t.same(kept.left.byLabel, [{ label: 'Loyal', count: 1 }, { label: 'Champions', count: 0 }])
})

const assignment = fc.uniqueArray(fc.record({ customerId: fc.integer({ min: 0, max: 60 }).map(String), label: fc.integer({ min: 0, max: 5 }) }), { selector: (a) => a.customerId })

t.test('property: cells sum to the customers in both; entered and left are the set differences', async (t) => {
  fc.assert(fc.property(assignment, assignment, (before, after) => {
    const m = transitions(before, after)
    const was = new Map(before.map((a) => [a.customerId, a.label]))
    const now = new Map(after.map((a) => [a.customerId, a.label]))
    const both = [...now.keys()].filter((id) => was.has(id))
    const sum = m.counts.flat().reduce((s, c) => s + c, 0)
    if (sum !== both.length || m.stayed !== both.length) return false
    if (m.entered.count !== after.length - both.length || m.left.count !== before.length - both.length) return false
    // Every cell equals a direct count of the customers it stands for.
    for (const [i, from] of m.from.entries()) {
      for (const [j, to] of m.to.entries()) {
        const direct = both.filter((id) => was.get(id) === from && now.get(id) === to).length
        if (m.counts[i]![j] !== direct) return false
      }
      const rowTotal = m.counts[i]!.reduce((s, c) => s + c, 0)
      const shareTotal = m.shares[i]!.reduce((s, c) => s + c, 0)
      if (rowTotal > 0 ? Math.abs(shareTotal - 1) > 1e-12 : shareTotal !== 0) return false
    }
    return true
  }), { numRuns: 300 })
  t.pass('held for 300 random pairs of assignments')
})
