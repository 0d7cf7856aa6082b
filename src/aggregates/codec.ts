// The aggregates' storage format: one byte string per dataset (or per customer), varints and
// raw float64s, no compression library. Layout (docs/decisions.md has the reasoning):
//
//   "RSAG" u8:version=3 (1 and 2 are read too: 1 lacks the exact sums and purchase values, both
//   lack the customer flags, read as none)
//   varint rowsPushed, range.lo, range.hi
//   varint guestDays; per guest day: varint Δday (first: absolute), varint rows
//   dictionary: varint n, n x (string code, varint variants, variants x string); varint countries, strings
//   varint customers; per customer: varint byteLength, then
//     string id; varint invoices, strings; varint splitKeys/2, pairs of varint day
//     [version 3: varint flags, bit 0 = rebuild (CustomerPartial.rebuild)]
//     [version 2 on: the customer's exact spend sums (exact.ts writeExact)]
//     varint days; per day (Δ from the previous day; seq values as zigzag Δ from the previous
//     seq written for this customer, which keeps them to one or two bytes):
//       varint head = stage | lines>0 << 3 | removed? << 4 | purchaseLines≠lines << 5
//                     | purchaseSpend≠netSpend << 6 | quantity not an integer << 7 | purchaseValue? << 8
//       [removed: 5 varints, rules 1, 2, 4, 5, 6]
//       [lines>0: varint lines, [varint purchaseLines], zΔ firstSeq, varint lastSeq-firstSeq,
//        quantity (zigzag varint or f64), f64 netSpend, [f64 purchaseSpend], [f64 purchaseValue],
//        varint hours, pairs; varint countries, pairs; varint invoices, (varint, zΔ seq, varint hour)]
//       varint products, (varint product, zΔ seq, varint rows << 2 | flags)
//       varint variants, triples of varint
// Strings: varint UTF-8 byte length, bytes. A customer's byte length lets a reader skip the
// customers outside its hash range without decoding them.
import { readExact, writeExact } from './exact.ts'
import { inRange } from './hash.ts'
import { NO_REMOVALS, type AggregateDictionary, type CustomerPartial, type DatasetAggregate, type DayPartial, type HashRange } from './types.ts'

const MAGIC = [0x52, 0x53, 0x41, 0x47] // "RSAG"
const VERSION = 3
const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

class Writer {
  bytes: Uint8Array
  view: DataView
  n = 0

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer)
  }

  private ensure(k: number): void {
    if (this.n + k <= this.bytes.length) return
    const next = new Uint8Array(Math.max(this.n + k, this.bytes.length * 2))
    next.set(this.bytes.subarray(0, this.n))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): void {
    this.ensure(1)
    this.bytes[this.n++] = v
  }

  /** Unsigned LEB128 of a non-negative integer up to 2^53. */
  varint(v: number): void {
    if (!(v >= 0) || !Number.isSafeInteger(v)) throw new Error(`codec: ${v} is not a non-negative safe integer`)
    this.ensure(8)
    while (v >= 0x80) {
      this.bytes[this.n++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.bytes[this.n++] = v
  }

  zigzag(v: number): void {
    this.varint(v < 0 ? -2 * v - 1 : 2 * v)
  }

  f64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.n, v, true)
    this.n += 8
  }

  string(s: string): void {
    let ascii = true
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false
        break
      }
    }
    if (ascii) {
      this.varint(s.length)
      this.ensure(s.length)
      for (let i = 0; i < s.length; i++) this.bytes[this.n++] = s.charCodeAt(i)
    } else {
      const b = utf8.encode(s)
      this.varint(b.length)
      this.ensure(b.length)
      this.bytes.set(b, this.n)
      this.n += b.length
    }
  }

  /** Appends another writer's bytes, preceded by their length. */
  chunk(w: Writer): void {
    this.varint(w.n)
    this.ensure(w.n)
    this.bytes.set(w.bytes.subarray(0, w.n), this.n)
    this.n += w.n
  }

  /**
   * The bytes written. A large result is a view of the buffer, not a copy: at ten times the UCI
   * file the copy of its 26 MB was the upload thread's memory peak. A view keeps at most the
   * same again of slack, so a small one (a customer's alone) is copied.
   */
  done(): Uint8Array {
    return this.n > 1 << 20 && 2 * this.n >= this.bytes.length ? this.bytes.subarray(0, this.n) : this.bytes.slice(0, this.n)
  }
}

class Reader {
  readonly bytes: Uint8Array
  readonly view: DataView
  i = 0
  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  u8(): number {
    if (this.i >= this.bytes.length) throw new Error('codec: truncated')
    return this.bytes[this.i++]!
  }

  varint(): number {
    let v = 0
    let scale = 1
    for (;;) {
      const b = this.u8()
      v += (b & 0x7f) * scale
      if (b < 0x80) return v
      scale *= 0x80
    }
  }

  zigzag(): number {
    const v = this.varint()
    return v % 2 === 1 ? -(v + 1) / 2 : v / 2
  }

  f64(): number {
    if (this.i + 8 > this.bytes.length) throw new Error('codec: truncated')
    const v = this.view.getFloat64(this.i, true)
    this.i += 8
    return v
  }

  string(): string {
    const n = this.varint()
    const end = this.i + n
    if (end > this.bytes.length) throw new Error('codec: truncated')
    let ascii = true
    for (let j = this.i; j < end; j++) {
      if (this.bytes[j]! >= 0x80) {
        ascii = false
        break
      }
    }
    const s = ascii ? String.fromCharCode.apply(null, this.bytes.subarray(this.i, end) as unknown as number[]) : fromUtf8.decode(this.bytes.subarray(this.i, end))
    this.i = end
    return s
  }
}

function writeCustomer(w: Writer, c: CustomerPartial): void {
  w.string(c.customerId)
  w.varint(c.invoices.length)
  for (const inv of c.invoices) w.string(inv)
  w.varint(c.splitKeys.length / 2)
  for (const d of c.splitKeys) w.zigzag(d)
  w.varint(c.rebuild === true ? 1 : 0)
  writeExact(w, c.exact)
  w.varint(c.days.length)
  let prevDay = 0
  let prev = 0
  for (const d of c.days) {
    w.zigzag(d.day - prevDay)
    prevDay = d.day
    const anyRemoved = d.removed[0]! + d.removed[1]! + d.removed[3]! + d.removed[4]! + d.removed[5]! > 0
    const intQuantity = Number.isSafeInteger(d.quantity)
    const head =
      d.stage |
      (d.lines > 0 ? 8 : 0) |
      (anyRemoved ? 16 : 0) |
      (d.purchaseLines !== d.lines ? 32 : 0) |
      (Object.is(d.purchaseSpend, d.netSpend) ? 0 : 64) |
      (intQuantity ? 0 : 128) |
      (d.purchaseValue === undefined ? 0 : 256)
    w.varint(head)
    if (anyRemoved) for (const r of [0, 1, 3, 4, 5]) w.varint(d.removed[r]!)
    if (d.lines > 0) {
      w.varint(d.lines)
      if (d.purchaseLines !== d.lines) w.varint(d.purchaseLines)
      w.zigzag(d.firstSeq - prev)
      prev = d.firstSeq
      w.varint(d.lastSeq - d.firstSeq)
      if (intQuantity) w.zigzag(d.quantity)
      else w.f64(d.quantity)
      w.f64(d.netSpend)
      if (!Object.is(d.purchaseSpend, d.netSpend)) w.f64(d.purchaseSpend)
      if (d.purchaseValue !== undefined) w.f64(d.purchaseValue)
      w.varint(d.hours.length / 2)
      for (const v of d.hours) w.varint(v)
      w.varint(d.countries.length / 2)
      for (const v of d.countries) w.varint(v)
      w.varint(d.invoices.length / 3)
      for (let i = 0; i < d.invoices.length; i += 3) {
        w.varint(d.invoices[i]!)
        w.zigzag(d.invoices[i + 1]! - prev)
        prev = d.invoices[i + 1]!
        w.varint(d.invoices[i + 2]!)
      }
    }
    w.varint(d.products.length / 4)
    for (let i = 0; i < d.products.length; i += 4) {
      w.varint(d.products[i]!)
      w.zigzag(d.products[i + 2]! - prev)
      prev = d.products[i + 2]!
      w.varint(d.products[i + 3]! * 4 + d.products[i + 1]!)
    }
    w.varint(d.variants.length / 3)
    for (const v of d.variants) w.varint(v)
  }
}

function readCustomer(r: Reader, id: string, dictionary: AggregateDictionary, version: number): CustomerPartial {
  const invoices: string[] = new Array(r.varint())
  for (let i = 0; i < invoices.length; i++) invoices[i] = r.string()
  const splitKeys: number[] = new Array(r.varint() * 2)
  for (let i = 0; i < splitKeys.length; i++) splitKeys[i] = r.zigzag()
  const rebuild = version >= 3 && (r.varint() & 1) === 1
  const exact = version >= 2 ? readExact(r) : undefined
  const days: DayPartial[] = new Array(r.varint())
  let day = 0
  let prev = 0
  for (let k = 0; k < days.length; k++) {
    day += r.zigzag()
    const head = r.varint()
    let removed = NO_REMOVALS
    if (head & 16) {
      const counts = [0, 0, 0, 0, 0, 0]
      for (const i of [0, 1, 3, 4, 5]) counts[i] = r.varint()
      removed = counts
    }
    const d: DayPartial = {
      day, lines: 0, purchaseLines: 0, firstSeq: -1, lastSeq: -1, quantity: 0, netSpend: 0, purchaseSpend: 0,
      hours: [], countries: [], invoices: [], products: [], variants: [], removed, stage: head & 7,
    }
    if (head & 8) {
      d.lines = r.varint()
      d.purchaseLines = head & 32 ? r.varint() : d.lines
      prev += r.zigzag()
      d.firstSeq = prev
      d.lastSeq = prev + r.varint()
      d.quantity = head & 128 ? r.f64() : r.zigzag()
      d.netSpend = r.f64()
      d.purchaseSpend = head & 64 ? r.f64() : d.netSpend
      if (head & 256) d.purchaseValue = r.f64()
      const hours: number[] = (d.hours = new Array(r.varint() * 2))
      for (let i = 0; i < hours.length; i++) hours[i] = r.varint()
      const countries: number[] = (d.countries = new Array(r.varint() * 2))
      for (let i = 0; i < countries.length; i++) countries[i] = r.varint()
      const inv: number[] = (d.invoices = new Array(r.varint() * 3))
      for (let i = 0; i < inv.length; i += 3) {
        inv[i] = r.varint()
        prev += r.zigzag()
        inv[i + 1] = prev
        inv[i + 2] = r.varint()
      }
    }
    const products: number[] = (d.products = new Array(r.varint() * 4))
    for (let i = 0; i < products.length; i += 4) {
      products[i] = r.varint()
      prev += r.zigzag()
      products[i + 2] = prev
      const v = r.varint()
      products[i + 1] = v % 4
      products[i + 3] = Math.floor(v / 4)
    }
    const variants: number[] = (d.variants = new Array(r.varint() * 3))
    for (let i = 0; i < variants.length; i++) variants[i] = r.varint()
    days[k] = d
  }
  return { customerId: id, invoices, splitKeys, ...(rebuild && { rebuild: true as const }), days, ...(exact && { exact }), dictionary }
}

/** One dataset's aggregate as bytes. */
export function encodeAggregate(a: DatasetAggregate): Uint8Array {
  return encodeAggregateFrom(a, a.customers.length, a.customers)
}

/**
 * The same from a header and `count` customers produced one at a time (the builder's compact
 * state), so that the aggregate never needs to exist as objects all at once. `sizeHint`: the
 * bytes expected, if known.
 */
export function encodeAggregateFrom(a: Omit<DatasetAggregate, 'customers'>, count: number, customers: Iterable<CustomerPartial>, sizeHint = 0): Uint8Array {
  // A good guess of the size spares the last doubling: a 16 MB buffer and its 32 MB copy at once.
  const w = new Writer(Math.max(1 << 16, Math.ceil(sizeHint)))
  for (const b of MAGIC) w.u8(b)
  w.u8(VERSION)
  w.varint(a.rowsPushed)
  w.varint(a.range.lo)
  w.varint(a.range.hi)
  w.varint(a.guestDays.length / 2)
  let prevDay = 0
  for (let i = 0; i < a.guestDays.length; i += 2) {
    w.zigzag(a.guestDays[i]! - prevDay)
    prevDay = a.guestDays[i]!
    w.varint(a.guestDays[i + 1]!)
  }
  const dict = a.dictionary
  w.varint(dict.stockCodes.length)
  dict.stockCodes.forEach((code, p) => {
    w.string(code)
    const v = dict.variants[p] ?? []
    w.varint(v.length)
    for (const t of v) w.string(t)
  })
  w.varint(dict.countries.length)
  for (const c of dict.countries) w.string(c)
  w.varint(count)
  const body = new Writer()
  let written = 0
  for (const c of customers) {
    if (c.dictionary !== dict) throw new Error(`codec: customer ${c.customerId} does not use the dataset's dictionary`)
    body.n = 0
    writeCustomer(body, c)
    w.chunk(body)
    written++
  }
  if (written !== count) throw new Error(`codec: ${written} customers written, ${count} announced`)
  return w.done()
}

/** The aggregate back from bytes; with `range`, only its customers (the others are skipped unread). */
export function decodeAggregate(bytes: Uint8Array, options: { range?: HashRange } = {}): DatasetAggregate {
  const r = new Reader(bytes)
  for (const b of MAGIC) if (r.u8() !== b) throw new Error('codec: not an aggregate (bad magic)')
  const version = r.u8()
  if (version !== VERSION && version !== 1 && version !== 2) throw new Error(`codec: version ${version} is not supported`)
  const rowsPushed = r.varint()
  const stored: HashRange = { lo: r.varint(), hi: r.varint() }
  const range = options.range ?? stored
  const guestDays: number[] = []
  const guests = r.varint()
  let day = 0
  for (let i = 0; i < guests; i++) {
    day += r.zigzag()
    guestDays.push(day, r.varint())
  }
  const stockCodes: string[] = new Array(r.varint())
  const variants: string[][] = new Array(stockCodes.length)
  for (let p = 0; p < stockCodes.length; p++) {
    stockCodes[p] = r.string()
    const v: string[] = (variants[p] = new Array(r.varint()))
    for (let j = 0; j < v.length; j++) v[j] = r.string()
  }
  const countries: string[] = new Array(r.varint())
  for (let i = 0; i < countries.length; i++) countries[i] = r.string()
  const dictionary: AggregateDictionary = { stockCodes, variants, countries }
  const n = r.varint()
  const customers: CustomerPartial[] = []
  const all = range.lo <= stored.lo && range.hi >= stored.hi
  for (let k = 0; k < n; k++) {
    const length = r.varint()
    const end = r.i + length
    const id = r.string()
    if (all || inRange(id, range)) customers.push(readCustomer(r, id, dictionary, version))
    r.i = end
  }
  const lo = Math.max(range.lo, stored.lo)
  return { rowsPushed, range: { lo, hi: Math.min(range.hi, stored.hi) }, guestDays: lo === 0 ? guestDays : [], dictionary, customers }
}
