// The build's integer pool (src/aggregates/pool.ts): every list stored reads back as stored, in
// any order and across chunk boundaries, for any 32-bit ints (zigzag varints), and it takes
// fewer bytes than Int32 for the small numbers the builder stores.
import fc from 'fast-check'
import t from 'tap'
import { IntPool } from '../src/aggregates/pool.ts'

const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -2, max: 300 }), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), 127, 128, 16383, 16384))

t.test('lists read back as stored (property)', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.array(int32, { maxLength: 600 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (lists, seed) => {
      const pool = new IntPool()
      const addresses = lists.map((l) => pool.store(l, l.length))
      // Read back in a shuffled order: a view depends on nothing but its address and length.
      const order = lists.map((_, i) => i)
      let s = seed
      for (let i = order.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0
        const j = s % (i + 1)
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
      for (const i of order) {
        const got = Array.from(pool.view(addresses[i]!, lists[i]!.length))
        if (got.length !== lists[i]!.length || got.some((v, x) => v !== lists[i]![x])) return false
      }
      return true
    }),
    { numRuns: 300 },
  )
  t.pass('300 runs')
})

t.test('many segments across chunks', async (t) => {
  const pool = new IntPool()
  const lists: number[][] = []
  const addresses: number[] = []
  for (let i = 0; i < 20_000; i++) {
    // Mostly small numbers (counts, hours, indices), every fourth a row number, as a day's lists are.
    const l = Array.from({ length: (i * 7) % 90 }, (_, j) => (j % 4 === 3 ? i * 250 + j : (i * 31 + j * 977) % 300))
    lists.push(l)
    addresses.push(pool.store(l, l.length))
  }
  let bad = 0
  lists.forEach((l, i) => {
    const v = pool.view(addresses[i]!, l.length)
    if (l.some((x, j) => v[j] !== x)) bad++
  })
  t.equal(bad, 0, 'every segment reads back')
  const ints = lists.reduce((n, l) => n + l.length, 0)
  t.ok(pool.storedBytes() < ints * 3, `${pool.storedBytes()} bytes written for ${ints} ints: under 3 a number (Int32: 4)`)
  t.ok(pool.bytes() >= pool.storedBytes() && pool.bytes() <= 2 * pool.storedBytes() + 2 ** 16, `${pool.bytes()} bytes held: at most twice what was written`)
})

t.test('refuses what is not a 32-bit int', async (t) => {
  const pool = new IntPool()
  t.throws(() => pool.store([1.5], 1), RangeError)
  t.throws(() => pool.store([2 ** 31], 1), RangeError)
})
