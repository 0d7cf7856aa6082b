// Builds one dataset's per-customer, per-day aggregate from its raw rows in file order (the order
// the upload pass reads them: NOT grouped by customer), cleaning them on the way exactly as
// StreamingCleaner does on the dataset alone (docs/pipeline.md section 2, rules 1-6 in order).
//
// The state is compact (docs/decisions.md): closed customer-days live in typed-array columns and
// a varint pool (day-store.ts, pool.ts), rule 2's keys in a typed-array hash table for the current invoice
// block and a Bloom filter for the earlier ones (dedupe.ts), each customer's invoices, days and
// spend sums in builder-wide typed tables (invoice-pairs.ts, day-index.ts, exact.ts); what stays
// on the JS heap is one small record per customer (its id, its number in those tables, the last
// invoice seen), the invoice numbers and the dataset's dictionaries. `encode()` writes the
// aggregate customer by customer from that state, so the whole aggregate never exists as JS
// objects in the upload's thread.
import { dayOf, hourOf } from '../pipeline/calendar.ts'
import { isAnomalousStockCode, isCancellation, isExcludedDescription } from '../pipeline/clean.ts'
import type { Transaction } from '../pipeline/types.ts'
import { encodeAggregateFrom } from './codec.ts'
import { DayBuild, DayStore } from './day-store.ts'
import { DuplicateKeys } from './dedupe.ts'
import { SpendTable } from './exact.ts'
import { DayIndex } from './day-index.ts'
import { InvoicePairs } from './invoice-pairs.ts'
import { own } from './own.ts'
import { inRange } from './hash.ts'
import { FULL_RANGE, type AggregateDictionary, type CustomerPartial, type DatasetAggregate, type HashRange } from './types.ts'

const RULE_MISSING = 0
const RULE_DUPLICATE = 1
const RULE_ANOMALOUS = 3
const RULE_EXCLUDED = 4
const RULE_PRICE = 5
const KEPT_STAGE = 6

class CustomerBuild {
  readonly id: string
  /** Its number in the builder's tables (SpendTable, InvoicePairs, DayIndex). */
  readonly index: number
  readonly splitKeys: number[] = []
  lastInvoiceNo: string | null = null
  /** The last invoice's index among the customer's and its pair (InvoicePairs). */
  lastInvoice = -1
  lastPair = -1
  /** A row may duplicate one of an earlier block of its invoice (dedupe.ts): never trust the partial. */
  rebuild = false
  constructor(id: string, index: number) {
    this.id = id
    this.index = index
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
 * Push raw rows of one dataset in file order, then `finish()` or `encode()`. With `range`, only
 * customers whose hash is in it are aggregated (and guest rows only when range.lo = 0); the row
 * sequence numbers still count every pushed row, so ranges of one dataset agree on file order.
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
  private readonly store = new DayStore()
  private readonly spend = new SpendTable()
  private readonly pairs = new InvoicePairs()
  private readonly dayIndex = new DayIndex()
  /** The customer-day rows go to, and its index in `store` (-1: none). */
  private readonly open = new DayBuild()
  private openCustomer: CustomerBuild | null = null
  private openIndex = -1

  // Dictionaries.
  private readonly productAt = new Map<string, number>()
  private readonly stockCodes: string[] = []
  private readonly anomalous: boolean[] = []
  private readonly variantAt: Map<string, number>[] = []
  private readonly variants: string[][] = []
  private readonly descriptionAt = new Map<string, number>()
  private readonly upper: string[] = []
  private readonly countryAt = new Map<string, number>()
  private readonly countries: string[] = []
  private readonly duplicates: DuplicateKeys

  // Calendar cache (rows of an invoice share their timestamp).
  private lastDate = Number.NaN
  private lastDayNo = 0
  private lastHour = 0

  /**
   * `exactDuplicates`: rule 2 keeps every key exactly (a merge's rebuilds, whose rows are grouped
   * by customer); by default only the current invoice block's keys are exact, earlier blocks' in a
   * Bloom filter, and a customer whose invoice reappears with a Bloom hit is flagged `rebuild`.
   */
  constructor(options: { range?: HashRange; exactDuplicates?: boolean } = {}) {
    this.range = options.range ?? FULL_RANGE
    this.full = this.range.lo === 0 && this.range.hi >= 2 ** 32
    this.duplicates = new DuplicateKeys({ exact: options.exactDuplicates === true })
  }

  /** Rows pushed so far (all of them, whatever their customer). */
  get rows(): number {
    return this.seq
  }

  /** Bytes of build state outside the JS heap (typed arrays). */
  stateBytes(): number {
    return this.store.bytes() + this.duplicates.bytes() + this.pairs.bytes() + this.dayIndex.bytes() + this.spend.bytes()
  }

  /** Rule 2's share of `stateBytes` and its counts (benchmarks, tests). */
  duplicateStats(): ReturnType<DuplicateKeys['stats']> & { bytes: number } {
    return { ...this.duplicates.stats(), bytes: this.duplicates.bytes() }
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
    const c = this.customerOf(id)
    if (c === null) return
    const d = this.dayOf(c, dayNo)
    // 1.
    const description = tx.description
    if (description === null || description === '') return d.removeRow(RULE_MISSING, 0)
    // 2.
    const invoice = this.invoiceOf(c, tx.invoiceNo)
    const product = this.productOf(tx.stockCode)
    const desc = this.descriptionOf(description)
    const dk = this.duplicates
    const firstDay = dk.firstOccurrence(c.lastPair, product, desc, tx.quantity, dayNo)
    if (firstDay === null) {
      // Maybe a duplicate of a row in an earlier block of the invoice: kept here, and the
      // customer's partial is rebuilt from its rows at every merge (merge.ts needsRebuild).
      if (dk.uncertain) c.rebuild = true
    } else {
      if (firstDay !== dayNo) c.splitKeys.push(firstDay, dayNo)
      return d.removeRow(RULE_DUPLICATE, 1)
    }
    // 3 marks; 4.
    if (this.anomalous[product]) return d.removeRow(RULE_ANOMALOUS, 3)
    // The product is numbered from here on (see DayPartial.products).
    const at = d.productEntry(product, seq)
    // 5.
    if (isExcludedDescription(description)) return d.removeRow(RULE_EXCLUDED, 4)
    // 6.
    if (!(tx.unitPrice > 0)) return d.removeRow(RULE_PRICE, 5)
    this.keep(d, tx, seq, invoice, product, desc, at)
  }

  pushAll(rows: Iterable<Transaction>): this {
    for (const r of rows) this.push(r)
    return this
  }

  /** The aggregate as objects (tests, a merge's rebuilds); `encode()` for storage. */
  finish(): DatasetAggregate {
    const { header, customers } = this.parts()
    return { ...header, customers: [...customers] }
  }

  /** The aggregate's bytes (codec.ts), customer by customer from the compact state. */
  encode(): Uint8Array {
    const { header, customers, count } = this.parts()
    // The aggregate is the pool's segments re-encoded, plus ids and invoice numbers: 1.07-1.11x
    // the bytes stored in the pool (the full file and x10).
    return encodeAggregateFrom(header, count, customers, 1.2 * this.store.pool.storedBytes() + (1 << 16))
  }

  private parts(): { header: Omit<DatasetAggregate, 'customers'>; count: number; customers: Iterable<CustomerPartial> } {
    this.closeDay()
    const dictionary: AggregateDictionary = { stockCodes: this.stockCodes, variants: this.variants, countries: this.countries }
    const multi = this.variants.map((v) => v.length > 1)
    const ids = [...this.customers.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const guestDays: number[] = []
    for (const day of [...this.guestDays.keys()].sort((a, b) => a - b)) guestDays.push(day, this.guestDays.get(day)!)
    const store = this.store
    const spend = this.spend
    const pairs = this.pairs
    const dayIndex = this.dayIndex
    const all = this.customers
    function* customers(): Generator<CustomerPartial> {
      for (const id of ids) {
        const c = all.get(id)!
        const days = dayIndex.indexesOf(c.index).sort((a, b) => store.dayOf(a) - store.dayOf(b)).map((k) => store.partial(k, multi))
        const exact = spend.result(c.index, days)
        yield { customerId: id, invoices: pairs.invoicesOf(c.index), splitKeys: normalizeSplits(c.splitKeys), ...(c.rebuild && { rebuild: true as const }), days, ...(exact && { exact }), dictionary }
      }
    }
    return { header: { rowsPushed: this.seq, range: this.range, guestDays, dictionary }, count: ids.length, customers: customers() }
  }

  /** The customer of a row with an id, or null when it is outside the builder's range. */
  private customerOf(id: string): CustomerBuild | null {
    if (id === this.lastCustomerId) return this.lastCustomer
    let c = this.customers.get(id) ?? null
    if (c === null && (this.full || (!this.skipped.has(id) && inRange(id, this.range)))) {
      c = new CustomerBuild(own(id), this.spend.addCustomer())
      this.pairs.addCustomer(c.index)
      this.customers.set(c.id, c)
    } else if (c === null) this.skipped.add(id)
    this.lastCustomerId = id
    this.lastCustomer = c
    return c
  }

  /** The open day of (customer, day), closing the previous one when rows move on. */
  private dayOf(c: CustomerBuild, dayNo: number): DayBuild {
    const d = this.open
    if (this.openCustomer === c && d.day === dayNo) return d
    this.closeDay()
    let k = this.dayIndex.get(c.index, dayNo)
    if (k < 0) {
      k = this.store.add()
      this.dayIndex.add(c.index, dayNo, k)
      d.reset(dayNo)
    } else this.store.load(k, d)
    this.openCustomer = c
    this.openIndex = k
    return d
  }

  private closeDay(): void {
    if (this.openIndex < 0) return
    this.store.save(this.openIndex, this.open)
    this.openIndex = -1
    this.openCustomer = null
  }

  /** The row's invoice: its index among the customer's; its pair is then `c.lastPair`. */
  private invoiceOf(c: CustomerBuild, invoiceNo: string): number {
    if (invoiceNo === c.lastInvoiceNo) return c.lastInvoice
    const pair = this.pairs.pairOf(c.index, invoiceNo)
    c.lastInvoiceNo = invoiceNo
    c.lastInvoice = this.pairs.localOf(pair)
    c.lastPair = pair
    return c.lastInvoice
  }

  private descriptionOf(description: string): number {
    let desc = this.descriptionAt.get(description)
    if (desc === undefined) {
      desc = this.upper.length
      const text = own(description)
      this.descriptionAt.set(text, desc)
      this.upper.push(text.toUpperCase())
    }
    return desc
  }

  /** A cleaned row: the day's sums, counts and lists. */
  private keep(d: DayBuild, tx: Transaction, seq: number, invoice: number, product: number, desc: number, at: number): void {
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
    const spend = quantity * tx.unitPrice
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
      d.purchaseValue += spend
    }
    this.spend.add(this.openCustomer!.index, d.day, spend, cancelled)
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
    if (country !== null && country !== '') pairAdd(d.countries, this.countryOf(country), 1)
  }

  private countryOf(country: string): number {
    let k = this.countryAt.get(country)
    if (k === undefined) {
      k = this.countries.length
      const name = own(country)
      this.countryAt.set(name, k)
      this.countries.push(name)
    }
    return k
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
export function buildAggregate(rows: Iterable<Transaction>, options: { range?: HashRange; exactDuplicates?: boolean } = {}): DatasetAggregate {
  return new AggregateBuilder(options).pushAll(rows).finish()
}
