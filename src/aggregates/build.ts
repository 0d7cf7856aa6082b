// Builds one dataset's per-customer, per-day aggregate from its raw rows in file order (the order
// the upload pass reads them: NOT grouped by customer), cleaning them on the way exactly as
// StreamingCleaner does on the dataset alone (docs/pipeline.md section 2, rules 1-6 in order).
//
// Rule 2 (duplicates on InvoiceNo, StockCode, Description, CustomerID, Quantity; the first is
// kept) needs every earlier key of the customer: they are held in one open-addressing table for the
// whole dataset, each key as integers (customer-invoice serial, product, raw description) and its
// quantity, compared exactly (NaN equals NaN, as pandas). The table is build-time state only.
import { dayOf, hourOf } from '../pipeline/calendar.ts'
import { isAnomalousStockCode, isCancellation, isExcludedDescription } from '../pipeline/clean.ts'
import type { Transaction } from '../pipeline/types.ts'
import { inRange } from './hash.ts'
import { FULL_RANGE, NO_REMOVALS, type AggregateDictionary, type CustomerPartial, type DatasetAggregate, type DayPartial, type HashRange } from './types.ts'

const RULE_MISSING = 0
const RULE_DUPLICATE = 1
const RULE_ANOMALOUS = 3
const RULE_EXCLUDED = 4
const RULE_PRICE = 5
const KEPT_STAGE = 6

class DayBuild {
  readonly day: number
  lines = 0
  purchaseLines = 0
  firstSeq = -1
  lastSeq = -1
  quantity = 0
  net = 0
  netComp = 0
  purchase = 0
  purchaseComp = 0
  hours: number[] = []
  countries: number[] = []
  invoices: number[] = []
  products: number[] = []
  /** product -> offset in `products`, made only for days with many products (else a scan). */
  productAt: Map<number, number> | null = null
  /** Triples [product, variant, rows] of cleaned rows whose variant is not the product's first. */
  variants: number[] = []
  /** Allocated at the first removed row. */
  removed: number[] | null = null
  stage = 0
  constructor(day: number) {
    this.day = day
  }

  /**
   * Exact-size copies of the growable arrays: a day's rows are mostly consecutive in a file, so
   * when the next row belongs elsewhere the day is likely complete, and arrays grown by push keep
   * up to 1.5x + 16 slots of slack (most of the build's heap otherwise).
   */
  compact(): void {
    if (this.hours.length > 0) this.hours = this.hours.slice()
    if (this.countries.length > 0) this.countries = this.countries.slice()
    if (this.invoices.length > 0) this.invoices = this.invoices.slice()
    if (this.products.length > 0) this.products = this.products.slice()
    if (this.variants.length > 0) this.variants = this.variants.slice()
  }
}

const SCAN_PRODUCTS = 24

function removeRow(d: DayBuild, rule: number, stage: number): void {
  if (d.removed === null) d.removed = [0, 0, 0, 0, 0, 0]
  d.removed[rule]!++
  if (d.stage < stage) d.stage = stage
}

/** Offset of `product` in the day's products, adding it (first row at `seq`) when new. */
function productEntry(d: DayBuild, product: number, seq: number): number {
  const pr = d.products
  let at: number | undefined
  if (d.productAt !== null) at = d.productAt.get(product)
  else {
    for (let i = pr.length - 4; i >= 0; i -= 4) {
      if (pr[i] === product) {
        at = i
        break
      }
    }
  }
  if (at !== undefined) return at
  at = pr.length
  pr.push(product, 0, seq, 0)
  if (d.productAt !== null) d.productAt.set(product, at)
  else if (pr.length > SCAN_PRODUCTS * 4) {
    d.productAt = new Map()
    for (let i = 0; i < pr.length; i += 4) d.productAt.set(pr[i]!, i)
  }
  return at
}

class CustomerBuild {
  readonly id: string
  readonly invoices: string[] = []
  readonly invoiceAt = new Map<string, number>()
  /** Global (customer, invoice) serial of each local invoice, for the duplicate table. */
  readonly invoiceSerial: number[] = []
  readonly splitKeys: number[] = []
  readonly days = new Map<number, DayBuild>()
  lastInvoiceNo: string | null = null
  lastInvoice = -1
  lastDay: DayBuild | null = null
  constructor(id: string) {
    this.id = id
  }
}

/** Neumaier step: returns the new sum; the compensation goes through `comp`. */
function addComp(sum: number, x: number, comp: { c: number }): number {
  const t = sum + x
  comp.c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum
  return t
}
const scratch = { c: 0 }

function pairAdd(pairs: number[], key: number, n: number): void {
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i] === key) {
      pairs[i + 1]! += n
      return
    }
  }
  pairs.push(key, n)
}

/**
 * A copy of `s` that shares no memory with the parser's chunk: a substring of a large chunk keeps
 * the whole chunk alive (V8 sliced strings), and the builder keeps each distinct string.
 */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8')
}

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1)
  return (h ^ (h >>> 15)) >>> 0
}

/**
 * Push raw rows of one dataset in file order, then `finish()`. With `range`, only customers whose
 * hash is in it are aggregated (and guest rows only when range.lo = 0); the row sequence numbers
 * still count every pushed row, so ranges of one dataset agree on file order.
 */
export class AggregateBuilder {
  private readonly range: HashRange
  private readonly full: boolean
  private seq = 0
  private readonly guestDays = new Map<number, number>()
  private readonly customers = new Map<string, CustomerBuild>()
  private readonly skipped = new Set<string>()
  private lastCustomerId: string | null = null
  private lastCustomer: CustomerBuild | null = null
  /** The day of the previous row (compacted when rows move on to another day). */
  private open: DayBuild | null = null

  // Dictionaries.
  private readonly productAt = new Map<string, number>()
  private readonly stockCodes: string[] = []
  private anomalous: boolean[] = []
  private readonly variantAt: Map<string, number>[] = []
  private readonly variants: string[][] = []
  private readonly descriptionAt = new Map<string, number>()
  private readonly upper: string[] = []
  private readonly countryAt = new Map<string, number>()
  private readonly countries: string[] = []
  private invoiceSerials = 0

  // Rule 2: open addressing over entries (invoice serial, product, description, quantity, day).
  private slots = new Int32Array(1 << 12).fill(-1)
  private entries = 0
  private eInvoice = new Int32Array(1 << 11)
  private eProduct = new Int32Array(1 << 11)
  private eDescription = new Int32Array(1 << 11)
  private eQuantity = new Float64Array(1 << 11)
  private eDay = new Int32Array(1 << 11)

  // Calendar cache (rows of an invoice share their timestamp).
  private lastDate = Number.NaN
  private lastDayNo = 0
  private lastHour = 0

  constructor(options: { range?: HashRange } = {}) {
    this.range = options.range ?? FULL_RANGE
    this.full = this.range.lo === 0 && this.range.hi >= 2 ** 32
  }

  /** Rows pushed so far (all of them, whatever their customer). */
  get rows(): number {
    return this.seq
  }

  push(tx: Transaction): void {
    const seq = this.seq++
    const date = tx.invoiceDate
    if (date !== this.lastDate) {
      this.lastDate = date
      this.lastDayNo = dayOf(date)
      this.lastHour = hourOf(date)
    }
    const dayNo = this.lastDayNo
    const id = tx.customerId
    if (id === null || id === '') {
      if (this.range.lo === 0) this.guestDays.set(dayNo, (this.guestDays.get(dayNo) ?? 0) + 1)
      return
    }
    let c = this.lastCustomer
    if (id !== this.lastCustomerId) {
      const known = this.customers.get(id)
      if (known === undefined) {
        if (!this.full && (this.skipped.has(id) || !inRange(id, this.range))) {
          this.skipped.add(id)
          this.lastCustomerId = id
          this.lastCustomer = null
          return
        }
        c = new CustomerBuild(own(id))
        this.customers.set(c.id, c)
      } else c = known
      this.lastCustomerId = id
      this.lastCustomer = c
    }
    if (c === null) return
    let d = c.lastDay
    if (d === null || d.day !== dayNo) {
      d = c.days.get(dayNo) ?? null
      if (d === null) {
        d = new DayBuild(dayNo)
        c.days.set(dayNo, d)
      }
      c.lastDay = d
    }
    if (d !== this.open) {
      this.open?.compact()
      this.open = d
    }

    // 1.
    const description = tx.description
    if (description === null || description === '') {
      removeRow(d, RULE_MISSING, 0)
      return
    }
    // 2.
    let invoice = c.lastInvoice
    if (tx.invoiceNo !== c.lastInvoiceNo) {
      const known = c.invoiceAt.get(tx.invoiceNo)
      if (known === undefined) {
        invoice = c.invoices.length
        const no = own(tx.invoiceNo)
        c.invoiceAt.set(no, invoice)
        c.invoices.push(no)
        c.invoiceSerial.push(this.invoiceSerials++)
      } else invoice = known
      c.lastInvoiceNo = tx.invoiceNo
      c.lastInvoice = invoice
    }
    const product = this.productOf(tx.stockCode)
    let desc = this.descriptionAt.get(description)
    if (desc === undefined) {
      desc = this.upper.length
      const text = own(description)
      this.descriptionAt.set(text, desc)
      this.upper.push(text.toUpperCase())
    }
    const firstDay = this.firstOccurrence(c.invoiceSerial[invoice]!, product, desc, tx.quantity, dayNo)
    if (firstDay !== null) {
      if (firstDay !== dayNo) c.splitKeys.push(firstDay, dayNo)
      removeRow(d, RULE_DUPLICATE, 1)
      return
    }
    // 3 marks; 4.
    if (this.anomalous[product]) {
      removeRow(d, RULE_ANOMALOUS, 3)
      return
    }
    // The product is numbered from here on (see DayPartial.products).
    const at = productEntry(d, product, seq)
    // 5.
    if (isExcludedDescription(description)) {
      removeRow(d, RULE_EXCLUDED, 4)
      return
    }
    // 6.
    const price = tx.unitPrice
    if (!(price > 0)) {
      removeRow(d, RULE_PRICE, 5)
      return
    }

    // A cleaned row.
    d.stage = KEPT_STAGE
    const cancelled = isCancellation(tx.invoiceNo)
    const hour = this.lastHour
    if (d.lines === 0) d.firstSeq = seq
    d.lastSeq = seq
    d.lines++
    pairAdd(d.hours, hour, 1)
    const inv = d.invoices
    let known = false
    for (let i = inv.length - 3; i >= 0; i -= 3) {
      if (inv[i] === invoice) {
        known = true
        break
      }
    }
    if (!known) inv.push(invoice, seq, hour)
    const quantity = tx.quantity
    const spend = quantity * price
    d.quantity += quantity
    scratch.c = d.netComp
    d.net = addComp(d.net, spend, scratch)
    d.netComp = scratch.c
    d.products[at + 1]! |= cancelled ? 1 : 3
    d.products[at + 3]!++
    if (!cancelled) {
      d.purchaseLines++
      scratch.c = d.purchaseComp
      d.purchase = addComp(d.purchase, spend, scratch)
      d.purchaseComp = scratch.c
    }
    // Rows of the product's first variant are implied (its cleaned rows minus the others).
    const variant = this.variantOf(product, desc)
    if (variant !== 0) {
      const vs = d.variants
      let v = 0
      while (v < vs.length && !(vs[v] === product && vs[v + 1] === variant)) v += 3
      if (v === vs.length) vs.push(product, variant, 1)
      else vs[v + 2]!++
    }
    const country = tx.country
    if (country !== null && country !== '') {
      let k = this.countryAt.get(country)
      if (k === undefined) {
        k = this.countries.length
        const name = own(country)
        this.countryAt.set(name, k)
        this.countries.push(name)
      }
      pairAdd(d.countries, k, 1)
    }
  }

  pushAll(rows: Iterable<Transaction>): this {
    for (const r of rows) this.push(r)
    return this
  }

  finish(): DatasetAggregate {
    const dictionary: AggregateDictionary = { stockCodes: this.stockCodes, variants: this.variants, countries: this.countries }
    const multi = this.variants.map((v) => v.length > 1)
    const ids = [...this.customers.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const customers: CustomerPartial[] = ids.map((id) => {
      const c = this.customers.get(id)!
      const days = [...c.days.values()].sort((a, b) => a.day - b.day).map((d): DayPartial => {
        const variants: number[] = []
        const pr = d.products
        for (let i = 0; i < pr.length; i += 4) {
          const p = pr[i]!
          if (!multi[p] || pr[i + 3] === 0) continue
          let first = pr[i + 3]!
          for (let v = 0; v < d.variants.length; v += 3) {
            if (d.variants[v] !== p) continue
            first -= d.variants[v + 2]!
            variants.push(p, d.variants[v + 1]!, d.variants[v + 2]!)
          }
          if (first > 0) variants.push(p, 0, first)
        }
        return {
          day: d.day,
          lines: d.lines,
          purchaseLines: d.purchaseLines,
          firstSeq: d.firstSeq,
          lastSeq: d.lastSeq,
          quantity: d.quantity,
          netSpend: d.net + d.netComp,
          purchaseSpend: d.purchase + d.purchaseComp,
          hours: d.hours,
          countries: d.countries,
          invoices: d.invoices,
          products: d.products,
          variants,
          removed: d.removed ?? NO_REMOVALS,
          stage: d.stage,
        }
      })
      return { customerId: id, invoices: c.invoices, splitKeys: normalizeSplits(c.splitKeys), days, dictionary }
    })
    const guestDays: number[] = []
    for (const day of [...this.guestDays.keys()].sort((a, b) => a - b)) guestDays.push(day, this.guestDays.get(day)!)
    return { rowsPushed: this.seq, range: this.range, guestDays, dictionary, customers }
  }

  private productOf(stockCode: string): number {
    let p = this.productAt.get(stockCode)
    if (p === undefined) {
      p = this.stockCodes.length
      const code = own(stockCode)
      this.productAt.set(code, p)
      this.stockCodes.push(code)
      this.anomalous.push(isAnomalousStockCode(stockCode))
      this.variants.push([])
      this.variantAt.push(new Map())
    }
    return p
  }

  private variantOf(product: number, desc: number): number {
    const text = this.upper[desc]!
    const at = this.variantAt[product]!
    let v = at.get(text)
    if (v === undefined) {
      v = this.variants[product]!.length
      at.set(text, v)
      this.variants[product]!.push(text)
    }
    return v
  }

  /** Rule 2: the day of the earlier row with this key, or null (then the key is recorded). */
  private firstOccurrence(invoice: number, product: number, desc: number, quantity: number, day: number): number | null {
    let h = mix(mix(mix(0x12345, invoice), product), desc)
    if (quantity === (quantity | 0)) h = mix(h, quantity)
    else if (quantity !== quantity) h = mix(h, 0x7ff80000)
    else {
      f64[0] = quantity
      h = mix(mix(h, u32[0]!), u32[1]!)
    }
    const mask = this.slots.length - 1
    let i = h & mask
    for (;;) {
      const e = this.slots[i]!
      if (e < 0) break
      if (this.eInvoice[e] === invoice && this.eProduct[e] === product && this.eDescription[e] === desc) {
        const q = this.eQuantity[e]!
        if (q === quantity || (q !== q && quantity !== quantity)) return this.eDay[e]!
      }
      i = (i + 1) & mask
    }
    const e = this.entries++
    if (e === this.eInvoice.length) this.growEntries()
    this.eInvoice[e] = invoice
    this.eProduct[e] = product
    this.eDescription[e] = desc
    this.eQuantity[e] = quantity
    this.eDay[e] = day
    this.slots[i] = e
    if (this.entries * 2 > this.slots.length) this.rehash()
    return null
  }

  private growEntries(): void {
    const n = this.eInvoice.length * 2
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n)
      b.set(a)
      return b
    }
    this.eInvoice = i32(this.eInvoice)
    this.eProduct = i32(this.eProduct)
    this.eDescription = i32(this.eDescription)
    this.eDay = i32(this.eDay)
    const q = new Float64Array(n)
    q.set(this.eQuantity)
    this.eQuantity = q
  }

  private rehash(): void {
    const old = this.slots
    const slots = new Int32Array(old.length * 2).fill(-1)
    const mask = slots.length - 1
    for (let j = 0; j < old.length; j++) {
      const e = old[j]!
      if (e < 0) continue
      const quantity = this.eQuantity[e]!
      let h = mix(mix(mix(0x12345, this.eInvoice[e]!), this.eProduct[e]!), this.eDescription[e]!)
      if (quantity === (quantity | 0)) h = mix(h, quantity)
      else if (quantity !== quantity) h = mix(h, 0x7ff80000)
      else {
        f64[0] = quantity
        h = mix(mix(h, u32[0]!), u32[1]!)
      }
      let i = h & mask
      while (slots[i]! >= 0) i = (i + 1) & mask
      slots[i] = e
    }
    this.slots = slots
  }
}

/** Pairs [a, b] -> [min, max] intervals, sorted, overlapping ones merged. */
function normalizeSplits(pairs: number[]): number[] {
  if (pairs.length === 0) return pairs
  const iv: [number, number][] = []
  for (let i = 0; i < pairs.length; i += 2) {
    const a = pairs[i]!
    const b = pairs[i + 1]!
    iv.push(a < b ? [a, b] : [b, a])
  }
  iv.sort((x, y) => x[0] - y[0] || x[1] - y[1])
  const out: number[] = []
  for (const [a, b] of iv) {
    const n = out.length
    if (n > 0 && a <= out[n - 1]!) out[n - 1] = Math.max(out[n - 1]!, b)
    else out.push(a, b)
  }
  return out
}

/** The aggregate of `rows` (one dataset, file order). */
export function buildAggregate(rows: Iterable<Transaction>, options: { range?: HashRange } = {}): DatasetAggregate {
  return new AggregateBuilder(options).pushAll(rows).finish()
}
