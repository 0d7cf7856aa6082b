// Build-time storage of many small integer lists outside the JS heap: segments of Int32 chunks.
// The builder keeps one segment per closed customer-day (aggregates/day-store.ts), so its state is
// a few typed arrays instead of hundreds of thousands of JS arrays (the x10 file's build held
// ~570 MB of them). Chunks grow with the pool, so a builder of one customer (a merge's rebuild)
// allocates kilobytes, not megabytes.

/** Offsets within a chunk stay below this; an address is chunk * SPAN + offset. */
const SPAN = 2 ** 24
const MIN_CHUNK = 1 << 10
const MAX_CHUNK = 1 << 20

export class IntPool {
  private readonly chunks: Int32Array[] = []
  private used = 0
  private total = 0
  /** Ints of segments that were replaced by a later copy (a customer-day reopened). */
  garbage = 0

  /** Copies values[0..n) into the pool; the address to read them back. */
  store(values: ArrayLike<number>, n: number): number {
    let k = this.chunks.length - 1
    let chunk = this.chunks[k]
    if (chunk === undefined || this.used + n > chunk.length) {
      const size = n > MAX_CHUNK ? n : Math.max(n, Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, this.total)))
      chunk = new Int32Array(size)
      this.chunks.push(chunk)
      k++
      this.used = 0
    }
    const at = this.used
    for (let i = 0; i < n; i++) chunk[at + i] = values[i]!
    this.used += n
    this.total += n
    return k * SPAN + at
  }

  /** A view of n ints at `address` (valid while the pool lives; do not keep it across stores). */
  view(address: number, n: number): Int32Array {
    const k = Math.floor(address / SPAN)
    const at = address - k * SPAN
    return this.chunks[k]!.subarray(at, at + n)
  }

  /** Bytes held (chunks allocated). */
  bytes(): number {
    let n = 0
    for (const c of this.chunks) n += c.byteLength
    return n
  }
}
