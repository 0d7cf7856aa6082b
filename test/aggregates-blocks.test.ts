// Rule 2 by invoice block (src/aggregates/dedupe.ts): the exact table holds only the current run
// of rows with one customer-invoice serial, earlier blocks' keys go to a growable Bloom filter
// (bloom.ts), and a customer whose reappearing invoice hits the filter is flagged `rebuild`, which
// every merge honours by rebuilding it from its rows. Files whose invoices reappear (the sample
// shuffled, or sorted by stock code) merge to buildFeatures' features; contiguous files flag
// nobody; random row lists agree with the old exact table; the filter has no false negatives and
// its false-positive rate stays under 0.1 %; stored aggregates of codec version 2 still read.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import t from 'tap'
import { GrowableBloom } from '../src/aggregates/bloom.ts'
import { DuplicateKeys } from '../src/aggregates/dedupe.ts'
import {
  AggregateBuilder,
  buildAggregate,
  decodeAggregate,
  encodeAggregate,
  mergeAggregates,
  mergePart,
  needsRebuild,
  type CustomerPartial,
  type DatasetAggregate,
} from '../src/aggregates/index.ts'
import { DAY_MS, dayOf } from '../src/pipeline/calendar.ts'
import type { BuildResult } from '../src/pipeline/features.ts'
import type { Transaction } from '../src/pipeline/types.ts'
import { differences, oracle, rowsByCustomer } from './helpers/aggregates.ts'
import { FULL_DATA, SAMPLE_DATA } from './helpers/data.ts'
import { parseRetailCsv } from './helpers/retail-csv.ts'

const sample: Transaction[] = parseRetailCsv(gunzipSync(readFileSync(SAMPLE_DATA)).toString('utf8'))

/** mulberry32: a seeded generator in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = xs.slice()
  const r = random(seed)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const keyOf = (r: Transaction) => JSON.stringify([r.customerId, r.invoiceNo, r.stockCode, r.description, Number.isNaN(r.quantity) ? 'NaN' : r.quantity === 0 ? 0 : r.quantity])

/**
 * The customers with a rule-2 duplicate across blocks, from the rows alone: a block is a run of
 * consecutive rows (among those with a customer and a description, the rows rule 2 sees) with one
 * (customer, invoice); a customer qualifies when a key occurs in a block after its first one.
 */
function crossBlockCustomers(rows: readonly Transaction[]): Set<string> {
  const out = new Set<string>()
  const blockOf = new Map<string, number>()
  let block = 0
  let last = ''
  for (const r of rows) {
    if (r.customerId === null || r.customerId === '' || r.description === null || r.description === '') continue
    const serial = JSON.stringify([r.customerId, r.invoiceNo])
    if (serial !== last) {
      block++
      last = serial
    }
    const k = keyOf(r)
    const b = blockOf.get(k)
    if (b === undefined) blockOf.set(k, block)
    else if (b !== block) out.add(r.customerId)
  }
  return out
}

/** Blocks of consecutive rows with one (customer, invoice), and the number of distinct pairs. */
function blocks(rows: readonly Transaction[]): { blocks: number; invoices: number } {
  const seen = new Set<string>()
  let n = 0
  let last = ''
  for (const r of rows) {
    if (r.customerId === null || r.customerId === '' || r.description === null || r.description === '') continue
    const serial = JSON.stringify([r.customerId, r.invoiceNo])
    seen.add(serial)
    if (serial !== last) n++
    last = serial
  }
  return { blocks: n, invoices: seen.size }
}

const flagged = (a: DatasetAggregate) => a.customers.filter((c) => c.rebuild === true).map((c) => c.customerId)
/** The tables' values (and the purchase days' when present) as hex: equal means bit for bit. */
const bits = (b: BuildResult) => [b.original.values, b.default.values, ...(b.purchaseDays ? [b.purchaseDays.values] : [])].map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'))
const tableBits = (b: BuildResult) => bits(b).slice(0, 2)
const strip = (cs: readonly CustomerPartial[]) => cs.map((c) => ({ ...c, dictionary: null }))

t.test('the sample in file order: contiguous invoices, nobody flagged, bit for bit buildFeatures', async (t) => {
  const b = blocks(sample)
  t.same(b, { blocks: 2_011, invoices: 2_011 }, 'every invoice of the sample is one block')
  const agg = buildAggregate(sample)
  t.equal(agg.customers.length, 445)
  t.same(flagged(agg), [], 'nobody flagged')
  const got = mergeAggregates([agg])
  t.same(differences(got, oracle([sample])), [])
  t.same(tableBits(got), tableBits(oracle([sample])), 'every feature bit for bit, no rebuild needed')
})

t.test('the full UCI file in file order: its one reappearing invoice has no duplicate, nobody flagged', async (t) => {
  const rows = parseRetailCsv(gunzipSync(readFileSync(FULL_DATA)).toString('utf8'))
  t.same(blocks(rows), { blocks: 22_191, invoices: 22_190 }, 'one invoice (12836, 542806) in two blocks')
  t.same([...crossBlockCustomers(rows)], [], 'no key across its blocks')
  const b = new AggregateBuilder().pushAll(rows)
  const stats = b.duplicateStats()
  t.same([stats.blocks, stats.reappearances, stats.bloomKeys], [22_191, 1, 401_550 - stats.tableKeys], 'every key but the last block\'s went to the Bloom filter')
  t.ok(stats.bytes < 1.2e6, `rule 2's state ${stats.bytes} bytes (the exact table of every key: 18.9 MB)`)
  t.same(flagged(b.finish()), [], 'nobody flagged')
})

// Shuffled, true duplicate lines land in different blocks of their invoice; sorted by stock code
// (stable), a duplicate line stays next to its twin (same code, file order) and no customer has
// one across blocks, but every lookup of the ~35,000 reappearing blocks asks the Bloom filter.
for (const [name, order, minCross] of [
  ['shuffled (seed 7)', (rows: Transaction[]) => shuffled(rows, 7), 100],
  ['sorted by stock code (stable)', (rows: Transaction[]) => rows.slice().sort((a, b) => (a.stockCode < b.stockCode ? -1 : a.stockCode > b.stockCode ? 1 : 0)), 0],
] as const) {
  t.test(`the sample ${name}: invoices reappear, the customers with duplicates across blocks are flagged and rebuilt`, async (t) => {
    const rows = order(sample)
    const b = blocks(rows)
    t.ok(b.blocks > b.invoices * 2, `${b.blocks} blocks for ${b.invoices} invoices`)
    const cross = crossBlockCustomers(rows)
    t.ok(cross.size >= minCross, `${cross.size} customers have a duplicate line across blocks`)
    const agg = buildAggregate(rows)
    const flags = new Set(flagged(agg))
    t.same([...cross].filter((id) => !flags.has(id)), [], 'every one of them is flagged (no false negative)')
    const extra = [...flags].filter((id) => !cross.has(id))
    t.ok(extra.length <= 5, `${extra.length} flagged by a Bloom false positive (${flags.size} flagged in all)`)
    // The exact table's aggregate (the old build) agrees on every customer not flagged.
    const exact = buildAggregate(rows, { exactDuplicates: true })
    t.same(flagged(exact), [], 'the exact build flags nobody')
    const byId = new Map(exact.customers.map((c) => [c.customerId, c]))
    t.same(strip(agg.customers.filter((c) => !flags.has(c.customerId))), strip(agg.customers.filter((c) => !flags.has(c.customerId)).map((c) => byId.get(c.customerId)!)), 'unflagged partials equal the exact build\'s')
    // Flagged partials are never trusted: one dataset over all its days rebuilds them.
    t.same(agg.customers.filter((c) => needsRebuild([c])).map((c) => c.customerId), [...flags].sort(), 'needsRebuild of a partial alone: exactly the flagged')
    t.ok(agg.customers.every((c) => !flags.has(c.customerId) || (needsRebuild([c], { asOf: dayOf(Date.UTC(2011, 5, 1)) }) && needsRebuild([c, exact.customers[0]!]))), 'and with a window, and beside another partial')
    t.throws(() => mergeAggregates([agg]), /needs an exact rebuild/, 'no rows: refused')
    const fetchRows = rowsByCustomer([rows])
    for (const stored of [agg, decodeAggregate(encodeAggregate(agg))]) {
      t.same(flagged(stored), [...flags].sort(), 'the flags survive the codec')
      const part = mergePart([stored], { fetchRows })
      t.same(part.rebuilt, [...flags].sort(), 'exactly the flagged customers are rebuilt')
      const want = oracle([rows])
      t.same(differences(mergeAggregates([stored], { fetchRows }), want), [], 'merged == buildFeatures on the same rows')
      t.same(tableBits(mergeAggregates([stored], { fetchRows })), tableBits(want), 'every feature bit for bit')
      t.same(bits(mergeAggregates([stored], { fetchRows })), bits(mergeAggregates([exact], { fetchRows })), 'and as the exact build, purchase days included')
      const asOf = dayOf(Date.UTC(2011, 8, 9))
      const from = dayOf(Date.UTC(2011, 2, 10))
      t.same(differences(mergeAggregates([stored], { asOf, from, fetchRows }), oracle([rows], { asOf, from })), [], 'and over a window')
    }
    // A second dataset after it: flagged partials still rebuilt.
    const more = sample.slice(0, 500).map((r) => ({ ...r, invoiceDate: r.invoiceDate + 400 * DAY_MS }))
    const two = [rows, more]
    t.same(differences(mergeAggregates([agg, buildAggregate(more)], { fetchRows: rowsByCustomer(two) }), oracle(two)), [], 'two datasets')
  })
}

// --- Random row lists: duplicates at random positions, against the old exact table. ---

const BASE_DAY = 15_000
const row: fc.Arbitrary<Transaction> = fc.record({
  invoiceNo: fc.constantFrom('500', '501', '502', 'C503', '504'),
  stockCode: fc.constantFrom('85123A', '10002', '22222', 'POST', 'D'),
  description: fc.constantFrom<string | null>('White heart', 'WHITE HEART', 'Blue cup', 'Next Day Carriage', null),
  quantity: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(0.5, -0, Number.NaN)),
  invoiceDate: fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 23 })).map(([d, h]) => (BASE_DAY + d) * DAY_MS + h * 3_600_000),
  unitPrice: fc.constantFrom(1.25, 2.55, 0.1, 0, Number.NaN),
  customerId: fc.constantFrom<string | null>('12', '13', '7', null),
  country: fc.constantFrom<string | null>('United Kingdom', 'France', null),
})

const withDuplicates = fc
  .record({
    rows: fc.array(row, { maxLength: 40 }),
    // [row to copy, position to insert at, days later]: an exact duplicate line anywhere.
    copies: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(0, 0, 1)), { maxLength: 10 }),
    asOf: fc.option(fc.integer({ min: BASE_DAY - 1, max: BASE_DAY + 9 })),
    from: fc.option(fc.integer({ min: BASE_DAY - 1, max: BASE_DAY + 9 })),
  })
  .map(({ rows, copies, asOf, from }) => {
    const out = rows.slice()
    if (rows.length > 0) for (const [r, at, days] of copies) out.splice(at % (out.length + 1), 0, { ...rows[r % rows.length]!, invoiceDate: rows[r % rows.length]!.invoiceDate + days * DAY_MS })
    return { rows: out, window: { ...(asOf === null ? {} : { asOf }), ...(from === null ? {} : { from }) } }
  })

t.test('property: the build by blocks + rebuilds == the exact table\'s result', async (t) => {
  let flaggedRuns = 0
  let runs = 0
  fc.assert(
    fc.property(withDuplicates, ({ rows, window }) => {
      runs++
      const agg = buildAggregate(rows)
      const exact = buildAggregate(rows, { exactDuplicates: true })
      const flags = new Set(flagged(agg))
      if (flags.size > 0) flaggedRuns++
      for (const id of crossBlockCustomers(rows)) if (!flags.has(id)) throw new Error(`customer ${id} has a duplicate across blocks and is not flagged`)
      const byId = new Map(exact.customers.map((c) => [c.customerId, c]))
      const trusted = agg.customers.filter((c) => !flags.has(c.customerId))
      const a = JSON.stringify(strip(trusted))
      const b = JSON.stringify(strip(trusted.map((c) => byId.get(c.customerId)!)))
      if (a !== b) throw new Error(`an unflagged partial differs from the exact build:\n${a}\n${b}`)
      const fetchRows = rowsByCustomer([rows])
      const got = mergeAggregates([decodeAggregate(encodeAggregate(agg))], { ...window, fetchRows })
      const old = mergeAggregates([exact], { ...window, fetchRows })
      const bad = differences(got, old)
      if (JSON.stringify(bits(got)) !== JSON.stringify(bits(old))) bad.push('not bit for bit the exact build')
      if (Object.keys(window).length === 0 && JSON.stringify(tableBits(got)) !== JSON.stringify(tableBits(oracle([rows])))) bad.push('not bit for bit buildFeatures')
      for (const d of differences(got, oracle([rows], window))) bad.push(`oracle: ${d}`)
      if (bad.length > 0) throw new Error(bad.join('\n'))
    }),
    { numRuns: 400, seed: 3 },
  )
  t.equal(runs, 400)
  t.ok(flaggedRuns > 50, `${flaggedRuns} runs with a flagged customer`)
})

/** The old table's answer for a key sequence, from a Map of every key ever seen. */
function naive(): (serial: number, product: number, desc: number, quantity: number, day: number) => number | null {
  const m = new Map<string, number>()
  return (s, p, d, q, day) => {
    const k = `${s}|${p}|${d}|${Number.isNaN(q) ? 'NaN' : q === 0 ? 0 : q}`
    const v = m.get(k)
    if (v !== undefined) return v
    m.set(k, day)
    return null
  }
}

t.test('DuplicateKeys by blocks: exact in the block, no false negative across blocks, stages and third blocks', async (t) => {
  // Property, small: serials in runs, some reappearing.
  const ops = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.constantFrom(1, 2, 0.5, Number.NaN, -0, 0)), { maxLength: 80 })
  fc.assert(
    fc.property(ops, (list) => {
      const dk = new DuplicateKeys()
      const old = naive()
      // Serials must first appear in increasing order (as the builder numbers them): renumber.
      const renumber = new Map<number, number>()
      list.forEach(([s, p, d, q], i) => {
        if (!renumber.has(s)) renumber.set(s, renumber.size)
        const serial = renumber.get(s)!
        const want = old(serial, p, d, q, i)
        const got = dk.firstOccurrence(serial, p, d, q, i)
        if (got !== null && got !== want) throw new Error(`step ${i}: ${got} != ${want}`)
        if (got === null && want !== null && !dk.uncertain) throw new Error(`step ${i}: a duplicate of day ${want} reported as new`)
        if (got === null && want === null && dk.uncertain && !listHasEarlierBlock(list, i)) throw new Error(`step ${i}: uncertain outside a reappearing block`)
      })
    }),
    { numRuns: 500, seed: 11 },
  )
  // Large: 300,000 keys over many stages, serials reappearing twice (a third block asks later stages).
  const dk = new DuplicateKeys()
  const old = naive()
  const r = random(5)
  let serials = 0
  let missed = 0
  let uncertainNew = 0
  let news = 0
  const openAgain: number[] = []
  for (let step = 0; step < 15_000; step++) {
    let serial: number
    if (openAgain.length > 0 && r() < 0.1) serial = openAgain[Math.floor(r() * openAgain.length)]!
    else {
      serial = serials++
      if (r() < 0.2) openAgain.push(serial)
    }
    const n = 1 + Math.floor(r() * 40)
    for (let k = 0; k < n; k++) {
      const p = Math.floor(r() * 30)
      const q = Math.floor(r() * 3)
      const want = old(serial, p, 0, q, step)
      const got = dk.firstOccurrence(serial, p, 0, q, step)
      if (want !== null && got === null && !dk.uncertain) missed++
      if (want === null) {
        news++
        if (dk.uncertain) uncertainNew++
      }
    }
  }
  const s = dk.stats()
  t.equal(missed, 0, 'no duplicate reported as new')
  t.ok(s.bloomStages >= 4 && s.reappearances > 1_000, `${s.bloomStages} stages, ${s.bloomKeys} keys, ${s.reappearances} reappearing blocks`)
  t.ok(uncertainNew / news < 0.001, `new keys reported uncertain: ${uncertainNew} of ${news}`)
  t.ok(dk.bytes() > s.bloomBytes, `bytes() ${dk.bytes()} include the Bloom filter's ${s.bloomBytes}`)
  t.ok(s.bloomBytes >= (s.bloomKeys * 16) / 8 && s.bloomBytes <= (s.bloomKeys * 16) / 8 + 2 ** 21 * 2, `Bloom filter: ${(s.bloomBytes / s.bloomKeys).toFixed(2)} bytes a key`)
})

/** Whether the row at i is in a block of a serial that had an earlier block (in the renumbered list). */
function listHasEarlierBlock(list: readonly (readonly number[])[], i: number): boolean {
  const s = list[i]![0]
  let j = i
  while (j > 0 && list[j - 1]![0] === s) j--
  for (let k = 0; k < j; k++) if (list[k]![0] === s) return true
  return false
}

t.test('GrowableBloom: no false negatives, false positives under 0.1 % on 1 M random keys', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.tuple(fc.integer({ min: -5, max: 2 ** 31 - 1 }), fc.nat(), fc.oneof(fc.integer(), fc.double())), { minLength: 1, maxLength: 30 }), { maxLength: 40 }),
      (blocksOfKeys) => {
        const bloom = new GrowableBloom()
        blocksOfKeys.forEach((keys, serial) => {
          bloom.startBlock(serial, true, keys.length)
          for (const [p, d, q] of keys) bloom.add(serial, p, d, q)
        })
        blocksOfKeys.forEach((keys, serial) => {
          const k = bloom.stageOf(serial)
          for (const [p, d, q] of keys) {
            if (!bloom.mayContain(serial, p, d, q, k, k)) throw new Error(`false negative: ${serial} ${p} ${d} ${q}`)
            if (Number.isNaN(q) && !bloom.mayContain(serial, p, d, Number.NaN, k, k)) throw new Error('NaN != NaN')
            if (q === 0 && !bloom.mayContain(serial, p, d, -q, k, k)) throw new Error('-0 != 0')
          }
        })
      },
    ),
    { numRuns: 300, seed: 21 },
  )
  // 1 M keys in blocks of 1-40 (serials in order), a third of them reappearing later.
  const bloom = new GrowableBloom()
  const r = random(99)
  const keys: [number, number, number, number][] = []
  let serial = 0
  while (keys.length < 1_000_000) {
    const n = 1 + Math.floor(r() * 40)
    bloom.startBlock(serial, true, n)
    for (let k = 0; k < n; k++) {
      const key: [number, number, number, number] = [serial, Math.floor(r() * 4000), Math.floor(r() * 5000), Math.floor(r() * 24) + 1]
      bloom.add(...key)
      keys.push(key)
    }
    serial++
  }
  let negatives = 0
  for (const [s, p, d, q] of keys) {
    const k = bloom.stageOf(s)
    if (!bloom.mayContain(s, p, d, q, k, k)) negatives++
  }
  t.equal(negatives, 0, `no false negative over ${keys.length} keys`)
  // Random keys not added (the quantity 0.25 is never added), asked in their serial's stage.
  let hits = 0
  const trials = 1_000_000
  for (let i = 0; i < trials; i++) {
    const s = Math.floor(r() * serial)
    const k = bloom.stageOf(s)
    if (bloom.mayContain(s, Math.floor(r() * 4000), Math.floor(r() * 5000), 0.25 + Math.floor(r() * 24), k, k)) hits++
  }
  t.ok(hits / trials < 0.001, `false-positive rate ${(hits / trials * 100).toFixed(4)} % (${hits} of ${trials}), target < 0.1 %`)
  t.ok(bloom.bytes() <= 2 * keys.length + 2 ** 21, `${bloom.bytes()} bytes for ${keys.length} keys in ${bloom.stageCount} stages`)
})

t.test('codec: version 3 keeps the flag, version 2 reads as unflagged', async (t) => {
  const rows = shuffled(sample, 7)
  const agg = buildAggregate(rows)
  const bytes = encodeAggregate(agg)
  t.equal(bytes[4], 3, 'written as version 3')
  t.same(strip(decodeAggregate(bytes).customers), strip(agg.customers), 'decode(encode(x)) deep-equals x, flags included')
  // Bytes written by the version-2 encoder (test/fixtures/README.md): still read, nobody flagged.
  const v2 = new Uint8Array(readFileSync('test/fixtures/aggregates/sample_10_v2.rsag'))
  t.equal(v2[4], 2)
  const old = decodeAggregate(v2)
  const mine = sample.filter((x) => x.customerId !== null && old.customers.some((c) => c.customerId === x.customerId))
  t.equal(mine.length, 680)
  const fresh = buildAggregate(mine)
  t.same(strip(old.customers), strip(fresh.customers), 'the version-2 partials equal today\'s build of the same rows')
  t.same(flagged(old), [])
  t.same(tableBits(mergeAggregates([old])), tableBits(oracle([mine])), 'and merge bit for bit to buildFeatures')
})
