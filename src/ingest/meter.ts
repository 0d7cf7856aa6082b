// Counting what flows: the raw request bytes (size limit and sha256, computed on the fly so the
// body is never held), and inflated bytes (limits that stop a decompression bomb early, while
// it is being inflated, instead of after).
import { createHash } from 'node:crypto'
import { bomb, bytesText, MiB, tooLarge } from './problems.ts'

export class ByteMeter {
  bytes = 0
  private readonly hash = createHash('sha256')

  private readonly maxBytes: number
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /** Passes `source` through, counting and hashing it; 413 past `maxBytes`. */
  async *measure(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    for await (const data of source) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data
      this.bytes += chunk.length
      if (this.bytes > this.maxBytes) {
        throw tooLarge(`the upload is larger than ${bytesText(this.maxBytes)} (the limit is ${this.maxBytes} bytes)`)
      }
      this.hash.update(chunk)
      yield chunk
    }
  }

  /** Hex sha256 of every byte measured; only once the source is exhausted. */
  digest(): string {
    return this.hash.digest('hex')
  }
}

/**
 * Deflate cannot exceed about 1032:1, and bombs sit near that; real data is far lower (the UCI
 * CSV gzips 6:1, its xlsx sheet XML 7:1). Past `RATIO_AFTER` of output, more than `MAX_RATIO`
 * times the compressed input is refused at once rather than inflated up to the absolute limit.
 */
export const MAX_RATIO = 200
export const RATIO_AFTER = 16 * MiB

export class InflationLimit {
  inflated = 0

  /** `what` names the stream in the message, e.g. "the gzip stream". */
  private readonly what: string
  private readonly maxInflated: number
  constructor(
    what: string,
    maxInflated: number,
  ) {
    this.what = what
    this.maxInflated = maxInflated
  }

  /** Adds `n` inflated bytes, produced from `compressed` bytes so far. */
  add(n: number, compressed: number): void {
    this.inflated += n
    if (this.inflated > this.maxInflated) {
      throw bomb(this.what, `inflates to more than ${bytesText(this.maxInflated)} (the limit is ${this.maxInflated} bytes)`)
    }
    if (this.inflated > RATIO_AFTER && this.inflated > compressed * MAX_RATIO) {
      throw bomb(this.what, `inflates more than ${MAX_RATIO}:1 (${bytesText(this.inflated)} from ${bytesText(compressed)})`)
    }
  }
}

export interface Peeked {
  /** The first bytes. */
  head: Buffer
  /** The whole stream, from its start. */
  all: AsyncGenerator<Buffer>
  /** Ends the source when `all` will not be read. */
  close(): Promise<void>
}

/** The first `n` bytes (fewer at the end), and the same stream again from its start. */
export async function peek(source: AsyncIterable<Buffer>, n: number): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]()
  const seen: Buffer[] = []
  let length = 0
  let done = false
  while (length < n) {
    const r = await it.next()
    if (r.done) {
      done = true
      break
    }
    seen.push(r.value)
    length += r.value.length
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* seen.splice(0)
      if (done) return
      for (;;) {
        const r = await it.next()
        if (r.done) return
        yield r.value
      }
    } finally {
      await it.return?.()
    }
  }
  const head = seen.length === 1 ? (seen[0] as Buffer) : Buffer.concat(seen)
  return {
    head: head.subarray(0, n),
    all: all(),
    close: async () => {
      await it.return?.()
    },
  }
}
