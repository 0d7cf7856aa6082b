// The feature pass's accumulators on their own (the whole pass is tested against the original's
// tables in pipeline-features.test.ts): countries, products and baskets.
import t from 'tap'
import fc from 'fast-check'
import { CountryCounter } from '../src/pipeline/countries.ts'
import { BasketBuilder, NEW_PRODUCT, NEW_PURCHASE } from '../src/pipeline/basket-builder.ts'
import { StockCodeIndex } from '../src/pipeline/clean.ts'

t.test('main country: most rows, ties to the smaller name, reset per customer', async (t) => {
  const c = new CountryCounter()
  for (const x of ['France', 'Spain', null, '', 'Spain', 'France']) c.add(x)
  t.equal(c.takeMain(), 'France', 'a tie goes to the smaller name')
  t.equal(c.takeMain(), null, 'nothing since the last call')
  c.add('Spain')
  t.equal(c.takeMain(), 'Spain')
  fc.assert(
    fc.property(fc.array(fc.array(fc.constantFrom('United Kingdom', 'France', 'EIRE', 'Spain', '', null), { maxLength: 12 }), { maxLength: 6 }), (customers) => {
      const counter = new CountryCounter()
      return customers.every((rows) => {
        rows.forEach((r) => counter.add(r))
        const counts = new Map<string, number>()
        for (const r of rows) if (r) counts.set(r, (counts.get(r) ?? 0) + 1)
        const expected = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null
        return counter.takeMain() === expected
      })
    }),
  )
})

t.test('baskets: distinct purchased products per customer, ascending; descriptions by frequency', async (t) => {
  const codes = new StockCodeIndex()
  const b = new BasketBuilder(codes)
  const p = (code: string): number => codes.indexOf(code)
  b.startCustomer()
  t.equal(b.add(p('B'), 'mug', false), NEW_PRODUCT | NEW_PURCHASE)
  t.equal(b.add(p('A'), 'Heart', true), NEW_PRODUCT, 'a cancelled row is a product, not a purchase')
  t.equal(b.add(p('A'), 'HEART', false), NEW_PURCHASE)
  t.equal(b.add(p('B'), 'MUG', false), 0)
  b.endCustomer()
  b.startCustomer()
  t.equal(b.add(p('B'), 'mug', false), NEW_PRODUCT | NEW_PURCHASE, 'new for the next customer')
  b.endCustomer()
  codes.indexOf('UNUSED')
  const baskets = b.finish(['x', 'y'])
  t.same(baskets.stockCodes, ['B', 'A'], 'codes without a kept row are left out')
  t.same(baskets.descriptions, ['MUG', 'HEART'], 'upper-cased variants merge')
  t.same(Array.from(baskets.offsets), [0, 2, 3])
  t.same(Array.from(baskets.items), [0, 1, 0], "each customer's products ascending")

  fc.assert(
    fc.property(fc.array(fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'D'), fc.boolean()), { maxLength: 10 }), { minLength: 1, maxLength: 5 }), (customers) => {
      const index = new StockCodeIndex()
      const builder = new BasketBuilder(index)
      for (const rows of customers) {
        builder.startCustomer()
        for (const [code, cancelled] of rows) builder.add(index.indexOf(code), code.toLowerCase(), cancelled)
        builder.endCustomer()
      }
      const out = builder.finish(customers.map((_, i) => String(i)))
      return customers.every((rows, c) => {
        const got = Array.from(out.items.subarray(out.offsets[c]!, out.offsets[c + 1]!), (i) => out.stockCodes[i]!)
        const want = [...new Set(rows.filter(([, x]) => !x).map(([code]) => code))].sort((a, b) => out.stockCodes.indexOf(a) - out.stockCodes.indexOf(b))
        return got.join() === want.join()
      })
    }),
  )
})
