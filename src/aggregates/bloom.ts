// A growable Bloom filter over typed arrays for rule 2's keys of closed invoice blocks (dedupe.ts,
// docs/decisions.md "Rule 2 inside a dataset"). Keys are four numbers (customer-invoice serial,
// product, description, quantity); NaN equals NaN and -0 equals 0, as the exact table compares.
//
// The number of keys is not known ahead, so the filter is a list of stages, each a plain Bloom
// filter of 16 bits a key and 11 hash functions (false positives ~0.046 % when full). A stage
// holds the blocks added while it was the last one (a block never spans two stages); when the next
// block does not fit, a new stage starts, twice as large up to MAX_STAGE_KEYS keys (2 MiB), so the
// slack is at most one stage. Unlike a scalable Bloom filter (which tightens each new stage, as a
// lookup asks every stage), a lookup here asks only the stages that can hold its key: a serial's
// first block is in one stage, found from each stage's first serial (first blocks come in
// increasing serial order), and only a serial seen in three or more blocks asks the stages after
// it too. The false-positive rate of a lookup is one stage's, whatever the number of stages.

const BITS_PER_KEY = 16
const HASHES = 11
const FIRST_STAGE_KEYS = 1 << 15
const MAX_STAGE_KEYS = 1 << 20

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** One murmur3 body step. */
function step(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51)
  k = rotl(k, 15)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = rotl(h, 13)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** murmur3's finalizer. */
function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** murmur3_32 of the key's five words (quantity: an int32 tag + value, else its float64 bits). */
function hashKey(seed: number, serial: number, product: number, desc: number, q0: number, q1: number): number {
  let h = seed
  h = step(h, serial)
  h = step(h, product)
  h = step(h, desc)
  h = step(h, q0)
  h = step(h, q1)
  return fmix(h ^ 20)
}

/** The quantity as two words: equal quantities (=== or both NaN) give equal words. */
function quantityWords(quantity: number): void {
  if (quantity === (quantity | 0)) {
    u32[0] = quantity | 0
    u32[1] = 0x7ff00001 // not the high word of any float64 written below (a signalling NaN's)
  } else if (quantity !== quantity) {
    u32[0] = 0
    u32[1] = 0x7ff80000
  } else f64[0] = quantity
}

class Stage {
  readonly bits: Uint32Array
  readonly mask: number
  readonly capacity: number
  /** The first serial whose first block was flushed here. */
  readonly firstSerial: number
  keys = 0
  constructor(capacity: number, firstSerial: number) {
    this.capacity = capacity
    this.bits = new Uint32Array((capacity * BITS_PER_KEY) / 32)
    this.mask = capacity * BITS_PER_KEY - 1
    this.firstSerial = firstSerial
  }
}

export class GrowableBloom {
  private readonly stages: Stage[] = []
  /** The largest serial whose first block was started (-1: none). */
  private lastFirst = -1
  // The two hashes of the last key (double hashing: bit i = h1 + i h2).
  private h1 = 0
  private h2 = 0

  /** Keys added. */
  get size(): number {
    let n = 0
    for (const s of this.stages) n += s.keys
    return n
  }

  /** Stages allocated. */
  get stageCount(): number {
    return this.stages.length
  }

  /** Bytes held. */
  bytes(): number {
    let n = 0
    for (const s of this.stages) n += s.bits.byteLength
    return n
  }

  /**
   * Before `keys` keys of one block of `serial` are added: a new stage when the last has no room
   * for them, so a block never spans two stages. `first`: the serial's first block; first blocks
   * come in increasing serial order (they decide which stage `stageOf` names).
   */
  startBlock(serial: number, first: boolean, keys: number): void {
    if (first) {
      if (serial <= this.lastFirst) throw new Error(`bloom: first block of serial ${serial} after ${this.lastFirst}`)
      this.lastFirst = serial
    }
    const s = this.stages[this.stages.length - 1]
    if (s !== undefined && s.keys + keys <= s.capacity) return
    let capacity = s === undefined ? FIRST_STAGE_KEYS : Math.min(MAX_STAGE_KEYS, s.capacity * 2)
    while (capacity < keys) capacity *= 2
    // Every serial below the boundary had its first block in an earlier stage.
    this.stages.push(new Stage(capacity, s === undefined ? 0 : first ? serial : this.lastFirst + 1))
  }

  /** The stage that holds the first block of `serial` (started earlier). */
  stageOf(serial: number): number {
    const st = this.stages
    let lo = 0
    let hi = st.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (st[mid]!.firstSerial <= serial) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Index of the last stage (-1: none). */
  get lastStage(): number {
    return this.stages.length - 1
  }

  /** Adds a key of the block last started, to the last stage. */
  add(serial: number, product: number, desc: number, quantity: number): void {
    const s = this.stages[this.stages.length - 1]
    if (s === undefined) throw new Error('bloom: add before startBlock')
    this.hash(serial, product, desc, quantity)
    const bits = s.bits
    const mask = s.mask
    const h2 = this.h2
    let h = this.h1
    for (let i = 0; i < HASHES; i++) {
      const b = h & mask
      bits[b >>> 5]! |= 1 << (b & 31)
      h = (h + h2) | 0
    }
    s.keys++
  }

  /**
   * Whether the key may have been added to one of the stages `from` .. `to` (inclusive; default
   * every stage). false: it certainly was not.
   */
  mayContain(serial: number, product: number, desc: number, quantity: number, from = 0, to = this.stages.length - 1): boolean {
    this.hash(serial, product, desc, quantity)
    for (let k = from; k <= to; k++) if (this.inStage(this.stages[k]!)) return true
    return false
  }

  private inStage(s: Stage): boolean {
    const bits = s.bits
    const mask = s.mask
    const h2 = this.h2
    let h = this.h1
    for (let i = 0; i < HASHES; i++) {
      const b = h & mask
      if ((bits[b >>> 5]! & (1 << (b & 31))) === 0) return false
      h = (h + h2) | 0
    }
    return true
  }

  private hash(serial: number, product: number, desc: number, quantity: number): void {
    quantityWords(quantity)
    const q0 = u32[0]!
    const q1 = u32[1]!
    this.h1 = hashKey(0x9747b28c, serial, product, desc, q0, q1)
    // Odd, so that h1 + i h2 visits distinct bits modulo the power-of-two size.
    this.h2 = hashKey(0x5bd1e995, serial, product, desc, q0, q1) | 1
  }
}
