// Build-time storage of many small integer lists outside the JS heap: segments of byte chunks,
// each int a zigzag LEB128 varint. The builder keeps one segment per closed customer-day
// (aggregates/day-store.ts), so its state is a few typed arrays instead of hundreds of thousands
// of JS arrays (the x10 file's build held ~570 MB of them). Varints because the lists are small
// numbers (counts, hours, dictionary indices) and row numbers: as Int32 the x10 file's segments
// took 79 MB. Chunks grow with the pool, so a builder of one customer (a merge's rebuild)
// allocates kilobytes, not megabytes.

/** Offsets within a chunk stay below this; an address is chunk * SPAN + offset. */
const SPAN = 2 ** 26
const MIN_CHUNK = 1 << 12
const MAX_CHUNK = 1 << 22
/** Bytes of the longest varint of a 32-bit int. */
const MAX_VARINT = 5

export class IntPool {
  private readonly chunks: Uint8Array[] = []
  private used = 0
  private total = 0
  private scratch = new Int32Array(64)
  /** Ints of segments that were replaced by a later copy (a customer-day reopened). */
  garbage = 0

  /** Copies values[0..n) (32-bit ints) into the pool; the address to read them back. */
  store(values: ArrayLike<number>, n: number): number {
    const most = n * MAX_VARINT
    let k = this.chunks.length - 1
    let chunk = this.chunks[k]
    if (chunk === undefined || this.used + most > chunk.length) {
      const size = most > MAX_CHUNK ? most : Math.max(most, Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.total)))
      chunk = new Uint8Array(size)
      this.chunks.push(chunk)
      k++
      this.used = 0
    }
    const at = this.used
    let p = at
    for (let i = 0; i < n; i++) {
      const v = values[i]!
      if (v !== (v | 0)) throw new RangeError(`IntPool stores 32-bit ints, not ${v}`)
      let z = ((v << 1) ^ (v >> 31)) >>> 0
      while (z >= 0x80) {
        chunk[p++] = (z & 0x7f) | 0x80
        z >>>= 7
      }
      chunk[p++] = z
    }
    this.used = p
    this.total += p - at
    return k * SPAN + at
  }

  /** The n ints at `address`, decoded into a scratch array: valid until the next `view`. */
  view(address: number, n: number): Int32Array {
    const k = Math.floor(address / SPAN)
    let p = address - k * SPAN
    const chunk = this.chunks[k]!
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(n, this.scratch.length * 2))
    const out = this.scratch
    for (let i = 0; i < n; i++) {
      let z = 0
      let shift = 0
      let b: number
      do {
        b = chunk[p++]!
        z |= (b & 0x7f) << shift
        shift += 7
      } while (b & 0x80)
      z >>>= 0
      out[i] = (z >>> 1) ^ -(z & 1)
    }
    return out.subarray(0, n)
  }

  /** Bytes written (the segments' varints). */
  storedBytes(): number {
    return this.total
  }

  /** Bytes held (chunks allocated). */
  bytes(): number {
    let n = 0
    for (const c of this.chunks) n += c.byteLength
    return n
  }
}
