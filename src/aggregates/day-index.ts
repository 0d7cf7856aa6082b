// Customer-day -> its index in the builder's DayStore: an open-addressing hash table in typed
// arrays, and each customer's days as a linked list, instead of a Map per customer (11 MB of the
// upload thread's heap at ten times the UCI file, 192,960 customer-days: docs/benchmarks.md,
// "Upload thread memory"). Indexes are the DayStore's, 0, 1, ... in turn.
import { grow } from '../pipeline/growable.ts'

const EMPTY = -1

export class DayIndex {
  /** Slots: the day-store index there, or EMPTY. Capacity a power of two, at most half full. */
  private slots: Int32Array = new Int32Array(1024).fill(EMPTY)
  /** Per index: its customer, its day, the customer's next index. */
  private customer: Int32Array = new Int32Array(1024)
  private day: Int32Array = new Int32Array(1024)
  private next: Int32Array = new Int32Array(1024)
  /** Per customer: its last index added (EMPTY: none). */
  private head: Int32Array = new Int32Array(256).fill(EMPTY)
  private size = 0

  /** The index of (customer `c`, day `day`), or EMPTY. */
  get(c: number, day: number): number {
    const mask = this.slots.length - 1
    for (let s = hash(c, day) & mask; ; s = (s + 1) & mask) {
      const k = this.slots[s]!
      if (k === EMPTY || (this.customer[k] === c && this.day[k] === day)) return k
    }
  }

  /** Records (customer `c`, day `day`) at the next index, `k`: it must be new. */
  add(c: number, day: number, k: number): void {
    if (k !== this.size) throw new Error(`DayIndex: index ${k} added, ${this.size} expected`)
    if (k === this.customer.length) {
      this.customer = grow(this.customer, 2 * k)
      this.day = grow(this.day, 2 * k)
      this.next = grow(this.next, 2 * k)
    }
    if (c >= this.head.length) {
      const head = new Int32Array(Math.max(2 * this.head.length, c + 1)).fill(EMPTY)
      head.set(this.head)
      this.head = head
    }
    this.customer[k] = c
    this.day[k] = day
    this.next[k] = this.head[c]!
    this.head[c] = k
    this.size++
    if (2 * this.size > this.slots.length) this.rehash()
    else this.place(k)
  }

  /** Customer `c`'s indexes, in no particular order. */
  indexesOf(c: number): number[] {
    const out: number[] = []
    if (c >= this.head.length) return out
    for (let k = this.head[c]!; k !== EMPTY; k = this.next[k]!) out.push(k)
    return out
  }

  /** Bytes of the typed arrays (benchmarks). */
  bytes(): number {
    return 4 * (this.slots.length + 3 * this.customer.length + this.head.length)
  }

  private place(k: number): void {
    const mask = this.slots.length - 1
    let s = hash(this.customer[k]!, this.day[k]!) & mask
    while (this.slots[s] !== EMPTY) s = (s + 1) & mask
    this.slots[s] = k
  }

  private rehash(): void {
    this.slots = new Int32Array(2 * this.slots.length).fill(EMPTY)
    for (let k = 0; k < this.size; k++) this.place(k)
  }
}

/** murmur3's finalizer over the pair. */
function hash(c: number, day: number): number {
  let h = Math.imul(c, 0x9e3779b1) ^ day
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
