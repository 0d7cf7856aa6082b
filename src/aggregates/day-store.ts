// One dataset's customer-days while it is being built. The day that rows are going to ("open") is
// a DayBuild with JS arrays; when rows move on to another customer-day it is closed: its scalars
// go into typed-array columns and its lists into one IntPool segment. A day reopened later (the
// customer's rows resume on that day) is loaded back and stored again when closed; the old
// segment is left behind (IntPool.garbage counts it).
import { Growable, newF64, newI32 } from '../pipeline/growable.ts'
import { IntPool } from './pool.ts'
import { NO_REMOVALS, type DayPartial } from './types.ts'

/** Lists of a day, in the order of their lengths in the segment's header. */
const LISTS = 6
const SCAN_PRODUCTS = 24

export class DayBuild {
  day = 0
  lines = 0
  purchaseLines = 0
  firstSeq = -1
  lastSeq = -1
  quantity = 0
  net = 0
  netComp = 0
  purchase = 0
  purchaseComp = 0
  /** Σ over purchase rows without compensation (DayPartial.purchaseValue). */
  purchaseValue = 0
  hours: number[] = []
  countries: number[] = []
  invoices: number[] = []
  products: number[] = []
  /** product -> offset in `products`, made only for days with many products (else a scan). */
  productAt: Map<number, number> | null = null
  /** Triples [product, variant, rows] of cleaned rows whose variant is not the product's first. */
  variants: number[] = []
  /** Empty until the first removed row, then 6 counts. */
  removed: number[] = []
  stage = 0

  reset(day: number): void {
    this.day = day
    this.lines = this.purchaseLines = this.quantity = this.net = this.netComp = this.purchase = this.purchaseComp = this.purchaseValue = this.stage = 0
    this.firstSeq = this.lastSeq = -1
    this.hours.length = this.countries.length = this.invoices.length = this.products.length = this.variants.length = this.removed.length = 0
    this.productAt = null
  }

  lists(): number[][] {
    return [this.hours, this.countries, this.invoices, this.products, this.variants, this.removed]
  }

  /** Offset of `product` in the day's products, adding it (first row at `seq`) when new. */
  productEntry(product: number, seq: number): number {
    const pr = this.products
    let at: number | undefined
    if (this.productAt !== null) at = this.productAt.get(product)
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
    if (this.productAt !== null) this.productAt.set(product, at)
    else if (pr.length > SCAN_PRODUCTS * 4) this.indexProducts()
    return at
  }

  indexProducts(): void {
    this.productAt = new Map()
    for (let i = 0; i < this.products.length; i += 4) this.productAt.set(this.products[i]!, i)
  }

  removeRow(rule: number, stage: number): void {
    if (this.removed.length === 0) this.removed.push(0, 0, 0, 0, 0, 0)
    this.removed[rule]!++
    if (this.stage < stage) this.stage = stage
  }
}

const i32 = () => new Growable(new Int32Array(1024), newI32)
const f64 = () => new Growable(new Float64Array(1024), newF64)

/** Closed customer-days as columns, indexed by the order they were first opened. */
export class DayStore {
  readonly pool = new IntPool()
  private readonly ints = [i32(), i32(), i32(), i32(), i32(), i32(), i32()] // day, lines, purchaseLines, firstSeq, lastSeq, stage, segment length
  private readonly floats = [f64(), f64(), f64(), f64(), f64(), f64(), f64()] // quantity, net, netComp, purchase, purchaseComp, segment address, purchaseValue

  get size(): number {
    return this.ints[0]!.length
  }

  /** A new, empty day; its index. */
  add(): number {
    for (const c of this.ints) c.push(0)
    for (const c of this.floats) c.push(0)
    this.floats[5]!.data[this.size - 1] = -1
    return this.size - 1
  }

  dayOf(k: number): number {
    return this.ints[0]!.data[k]!
  }

  save(k: number, d: DayBuild): void {
    const [day, lines, purchaseLines, firstSeq, lastSeq, stage, segLength] = this.ints.map((c) => c.data)
    const [quantity, net, netComp, purchase, purchaseComp, address, purchaseValue] = this.floats.map((c) => c.data)
    day![k] = d.day
    lines![k] = d.lines
    purchaseLines![k] = d.purchaseLines
    firstSeq![k] = d.firstSeq
    lastSeq![k] = d.lastSeq
    stage![k] = d.stage
    quantity![k] = d.quantity
    net![k] = d.net
    netComp![k] = d.netComp
    purchase![k] = d.purchase
    purchaseComp![k] = d.purchaseComp
    purchaseValue![k] = d.purchaseValue
    if (address![k]! >= 0) this.pool.garbage += segLength![k]!
    const lists = d.lists()
    const segment: number[] = lists.map((l) => l.length)
    for (const l of lists) for (const v of l) segment.push(v)
    shiftSeqs(segment, LISTS + d.hours.length + d.countries.length, d.invoices.length, d.products.length, -d.firstSeq)
    segLength![k] = segment.length
    address![k] = this.pool.store(segment, segment.length)
  }

  load(k: number, d: DayBuild): void {
    d.reset(this.ints[0]!.data[k]!)
    d.lines = this.ints[1]!.data[k]!
    d.purchaseLines = this.ints[2]!.data[k]!
    d.firstSeq = this.ints[3]!.data[k]!
    d.lastSeq = this.ints[4]!.data[k]!
    d.stage = this.ints[5]!.data[k]!
    d.quantity = this.floats[0]!.data[k]!
    d.net = this.floats[1]!.data[k]!
    d.netComp = this.floats[2]!.data[k]!
    d.purchase = this.floats[3]!.data[k]!
    d.purchaseComp = this.floats[4]!.data[k]!
    d.purchaseValue = this.floats[6]!.data[k]!
    const seg = this.segment(k)
    let at = LISTS
    d.lists().forEach((l, j) => {
      for (let i = 0; i < seg[j]!; i++) l.push(seg[at + i]!)
      at += seg[j]!
    })
    shiftSeqs(d.invoices, 0, d.invoices.length, 0, d.firstSeq)
    shiftSeqs(d.products, 0, 0, d.products.length, d.firstSeq)
    if (d.products.length > SCAN_PRODUCTS * 4) d.indexProducts()
  }

  /** The stored day as a partial; `multi[p]`: whether product p has several variants in the dataset. */
  partial(k: number, multi: readonly boolean[]): DayPartial {
    const seg = this.segment(k)
    const lists: number[][] = []
    let at = LISTS
    for (let j = 0; j < LISTS; j++) {
      lists.push(Array.from(seg.subarray(at, at + seg[j]!)))
      at += seg[j]!
    }
    const [hours, countries, invoices, products, extra, removed] = lists as [number[], number[], number[], number[], number[], number[]]
    const f = (j: number) => this.floats[j]!.data[k]!
    const n = (j: number) => this.ints[j]!.data[k]!
    shiftSeqs(invoices, 0, invoices.length, 0, n(3))
    shiftSeqs(products, 0, 0, products.length, n(3))
    const purchaseSpend = f(3) + f(4)
    return {
      ...(!Object.is(f(6), purchaseSpend) && { purchaseValue: f(6) }),
      day: n(0), lines: n(1), purchaseLines: n(2), firstSeq: n(3), lastSeq: n(4),
      quantity: f(0), netSpend: f(1) + f(2), purchaseSpend,
      hours, countries, invoices, products, variants: variantTriples(products, extra, multi),
      removed: removed.length === 0 ? NO_REMOVALS : removed, stage: n(5),
    }
  }

  private segment(k: number): Int32Array {
    const address = this.floats[5]!.data[k]!
    if (address < 0) return new Int32Array(LISTS)
    return this.pool.view(address, this.ints[6]!.data[k]!)
  }

  /** Bytes held by the columns and the pool. */
  bytes(): number {
    let n = this.pool.bytes()
    for (const c of [...this.ints, ...this.floats]) n += c.data.byteLength
    return n
  }
}

/**
 * Adds `by` to the row numbers of a day's lists laid out in `a` from `at`: the invoices' (triples
 * [invoice, row, hour]) then the products' (quadruples [product, flags, row, rows]). A segment
 * keeps them relative to the day's first cleaned row: a few bytes as varints instead of the four
 * a row number of a large file takes (at x10: the pool 38 → 25 MB).
 */
function shiftSeqs(a: number[], at: number, invoices: number, products: number, by: number): void {
  for (let i = at + 1; i < at + invoices; i += 3) a[i]! += by
  for (let i = at + invoices + 2; i < at + invoices + products; i += 4) a[i]! += by
}

/**
 * DayPartial.variants from the day's products and the rows of non-first variants: every
 * variant of a product with several in the dataset, the first one's rows implied.
 */
function variantTriples(products: readonly number[], extra: readonly number[], multi: readonly boolean[]): number[] {
  const variants: number[] = []
  for (let i = 0; i < products.length; i += 4) {
    const p = products[i]!
    if (!multi[p] || products[i + 3] === 0) continue
    let first = products[i + 3]!
    for (let v = 0; v < extra.length; v += 3) {
      if (extra[v] !== p) continue
      first -= extra[v + 2]!
      variants.push(p, extra[v + 1]!, extra[v + 2]!)
    }
    if (first > 0) variants.push(p, 0, first)
  }
  return variants
}
