// Cleaning rule 2 inside one dataset (docs/decisions.md, "Cleaning"): the keys (customer-invoice
// serial, product, raw description, quantity; NaN equals NaN, as pandas) of the rows that passed
// rule 1, build-time state only, in typed arrays off the JS heap.
//
// A duplicate shares its key's serial, and the rows of one invoice are nearly always contiguous
// in an export. So the exact open-addressing table holds only the current block (the run of
// consecutive rows with one serial); when the serial changes, the block's keys move into a
// growable Bloom filter (bloom.ts, 16 bits a key) and its serial is marked closed. A row whose
// serial is closed (its invoice reappears after another block) is checked exactly against the
// current block and also against the Bloom filter: a hit means "maybe a duplicate of an earlier
// block's row", which is not decided here: `firstOccurrence` returns null with `uncertain` set,
// the builder handles the row as a first occurrence and flags the customer for a rebuild from its
// raw rows at every merge (CustomerPartial.rebuild). A miss is exactly "not seen before".
//
// With `exact: true` every key stays in the table (the old behaviour, for the merge's rebuilds,
// whose rows are a few customers' grouped by customer: an invoice over two datasets is not
// contiguous there, and the rebuild has to decide exactly).
import { GrowableBloom } from './bloom.ts'

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1)
  return (h ^ (h >>> 15)) >>> 0
}

function keyHash(invoice: number, product: number, desc: number, quantity: number): number {
  const h = mix(mix(mix(0x12345, invoice), product), desc)
  if (quantity === (quantity | 0)) return mix(h, quantity)
  if (quantity !== quantity) return mix(h, 0x7ff80000)
  f64[0] = quantity
  return mix(mix(h, u32[0]!), u32[1]!)
}

const FIRST_SLOTS = 1 << 10

/** A growable bitset by serial. */
class Bits {
  words = new Uint32Array(1 << 10)
  has(i: number): boolean {
    const w = i >>> 5
    return w < this.words.length && (this.words[w]! & (1 << (i & 31))) !== 0
  }
  set(i: number): void {
    const w = i >>> 5
    if (w >= this.words.length) {
      const b = new Uint32Array(Math.max(w + 1, this.words.length * 2))
      b.set(this.words)
      this.words = b
    }
    this.words[w]! |= 1 << (i & 31)
  }
}

export class DuplicateKeys {
  private readonly exact: boolean
  private slots = new Int32Array(FIRST_SLOTS).fill(-1)
  private entries = 0
  private eInvoice = new Int32Array(FIRST_SLOTS >> 1)
  private eProduct = new Int32Array(FIRST_SLOTS >> 1)
  private eDescription = new Int32Array(FIRST_SLOTS >> 1)
  private eQuantity = new Float64Array(FIRST_SLOTS >> 1)
  private eDay = new Int32Array(FIRST_SLOTS >> 1)
  /** The slot of each entry (to clear the table block by block). */
  private eSlot = new Int32Array(FIRST_SLOTS >> 1)

  // Block mode.
  /** Serial of the current block (-1: none yet). */
  private current = -1
  /** Whether the current block's serial had a block before (then the Bloom filter is asked). */
  private reopened = false
  /** First Bloom stage to ask for the current block's keys, and the last. */
  private fromStage = 0
  private toStage = -1
  private readonly bloom = new GrowableBloom()
  /** Serials with a block moved into the Bloom filter. */
  private readonly closed = new Bits()
  /** Serials with two or more blocks moved (their later blocks lie in later stages). */
  private readonly again = new Bits()
  private blocks = 0
  private reappearances = 0

  /**
   * After a `firstOccurrence` that returned null: whether the key may have occurred in an
   * earlier block of its serial (a Bloom hit), so the row's customer must be rebuilt exactly.
   */
  uncertain = false

  constructor(options: { exact?: boolean } = {}) {
    this.exact = options.exact === true
  }

  /** Bytes held (the exact table, the Bloom filter, the bitsets). */
  bytes(): number {
    return this.slots.byteLength + this.eInvoice.byteLength * 5 + this.eQuantity.byteLength + this.bloom.bytes() + this.closed.words.byteLength + this.again.words.byteLength
  }

  /** Counts for tests and benchmarks. */
  stats(): { blocks: number; reappearances: number; bloomKeys: number; bloomStages: number; bloomBytes: number; tableKeys: number } {
    return { blocks: this.blocks, reappearances: this.reappearances, bloomKeys: this.bloom.size, bloomStages: this.bloom.stageCount, bloomBytes: this.bloom.bytes(), tableKeys: this.entries }
  }

  /**
   * Rule 2: the day of the earlier row with this key, or null (then the key is recorded; check
   * `uncertain`). `invoice` is the customer-invoice serial.
   */
  firstOccurrence(invoice: number, product: number, desc: number, quantity: number, day: number): number | null {
    this.uncertain = false
    if (!this.exact && invoice !== this.current) this.startBlock(invoice)
    const h = keyHash(invoice, product, desc, quantity)
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
    if (this.reopened) this.uncertain = this.bloom.mayContain(invoice, product, desc, quantity, this.fromStage, this.toStage)
    const e = this.entries++
    if (e === this.eInvoice.length) this.growEntries()
    this.eInvoice[e] = invoice
    this.eProduct[e] = product
    this.eDescription[e] = desc
    this.eQuantity[e] = quantity
    this.eDay[e] = day
    this.eSlot[e] = i
    this.slots[i] = e
    if (this.entries * 2 > this.slots.length) this.rehash()
    return null
  }

  /** The current block's keys into the Bloom filter, its serial closed; a block of `serial` begins. */
  private startBlock(serial: number): void {
    const old = this.current
    if (old >= 0) {
      const again = this.closed.has(old)
      this.bloom.startBlock(old, !again, this.entries)
      for (let e = 0; e < this.entries; e++) {
        this.bloom.add(old, this.eProduct[e]!, this.eDescription[e]!, this.eQuantity[e]!)
        this.slots[this.eSlot[e]!] = -1
      }
      if (again) this.again.set(old)
      else this.closed.set(old)
      this.entries = 0
      // A large block's table is not kept for the small ones that follow.
      if (this.slots.length > FIRST_SLOTS * 16) this.slots = new Int32Array(FIRST_SLOTS).fill(-1)
    }
    this.current = serial
    this.blocks++
    this.reopened = this.closed.has(serial)
    if (this.reopened) {
      this.reappearances++
      this.fromStage = this.bloom.stageOf(serial)
      // Its first block lies in one stage; later ones (a third block on) in later stages.
      this.toStage = this.again.has(serial) ? this.bloom.lastStage : this.fromStage
    }
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
    this.eSlot = i32(this.eSlot)
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
      const h = keyHash(this.eInvoice[e]!, this.eProduct[e]!, this.eDescription[e]!, this.eQuantity[e]!)
      let i = h & mask
      while (slots[i]! >= 0) i = (i + 1) & mask
      slots[i] = e
      this.eSlot[e] = i
    }
    this.slots = slots
  }
}
