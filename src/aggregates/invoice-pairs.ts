// The (customer, invoice number) pairs of one aggregate build, numbered in order of first
// appearance: the number is the pair's serial for rule 2 (dedupe.ts), and each pair also has its
// index among its customer's invoices (the aggregate's invoice list, types.ts).
//
// One map for the whole build and typed columns, not a map and two arrays per customer: at ten
// times the UCI file (43,720 customers, 221,900 pairs) those took 33 MB of the upload thread's
// heap (docs/benchmarks.md, "Upload thread memory"). An invoice number normally belongs to one
// customer; the rare one shared by several is a chain of pairs from its first.
import { grow } from '../pipeline/growable.ts'
import { own } from './own.ts'

const NONE = -1

export class InvoicePairs {
  /** Invoice number -> its first pair. */
  private readonly first = new Map<string, number>()
  private readonly names: string[] = []
  /** Per pair: its customer, its index among the customer's invoices, the next pair of the same number, the customer's next pair. */
  private customer: Int32Array = new Int32Array(1024)
  private local: Int32Array = new Int32Array(1024)
  private same: Int32Array = new Int32Array(1024)
  private next: Int32Array = new Int32Array(1024)
  /** Per customer: its first and last pair and how many it has. */
  private head: Int32Array = new Int32Array(256)
  private tail: Int32Array = new Int32Array(256)
  private count: Int32Array = new Int32Array(256)

  get size(): number {
    return this.names.length
  }

  /** Customer number `c` (0, 1, ... in turn) starts with no invoices. */
  addCustomer(c: number): void {
    if (c >= this.head.length) {
      this.head = grow(this.head, 2 * c)
      this.tail = grow(this.tail, 2 * c)
      this.count = grow(this.count, 2 * c)
    }
    this.head[c] = NONE
    this.tail[c] = NONE
    this.count[c] = 0
  }

  /** The pair of customer `c` and invoice number `no`, numbered when first seen. */
  pairOf(c: number, no: string): number {
    const first = this.first.get(no)
    if (first !== undefined) for (let p = first; p !== NONE; p = this.same[p]!) if (this.customer[p] === c) return p
    const p = this.names.length
    if (p === this.customer.length) {
      this.customer = grow(this.customer, 2 * p)
      this.local = grow(this.local, 2 * p)
      this.same = grow(this.same, 2 * p)
      this.next = grow(this.next, 2 * p)
    }
    if (first === undefined) {
      const name = own(no)
      this.names.push(name)
      this.first.set(name, p)
      this.same[p] = NONE
    } else {
      this.names.push(this.names[first]!)
      this.same[p] = this.same[first]!
      this.same[first] = p
    }
    this.customer[p] = c
    this.local[p] = this.count[c]!++
    this.next[p] = NONE
    if (this.tail[c] === NONE) this.head[c] = p
    else this.next[this.tail[c]!] = p
    this.tail[c] = p
    return p
  }

  /** The pair's index among its customer's invoices. */
  localOf(pair: number): number {
    return this.local[pair]!
  }

  /** Customer `c`'s invoice numbers, in order of first appearance. */
  invoicesOf(c: number): string[] {
    const out: string[] = []
    for (let p = this.head[c]!; p !== NONE; p = this.next[p]!) out.push(this.names[p]!)
    return out
  }

  /** Bytes of the typed columns (benchmarks). */
  bytes(): number {
    return 4 * (this.customer.length * 4 + this.head.length * 3)
  }
}
