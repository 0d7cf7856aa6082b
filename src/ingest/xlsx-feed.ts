// The upload's bytes on their way to exceljs (xlsx.ts). exceljs cannot be cancelled: on a failure
// of the bytes the feed is ended and abandoned, and every wait on exceljs races that failure, so
// an error never waits for exceljs.
import { once } from 'node:events'
import { PassThrough } from 'node:stream'
import { HttpProblem } from '../errors.ts'
import { unreadable } from './problems.ts'

export class ExcelFeed {
  /** What exceljs reads. */
  readonly stream = new PassThrough()
  private readonly stop = new AbortController()
  private failure: unknown = null
  // Waits on exceljs that the byte failure must interrupt. Not Promise.race against one
  // long-lived promise: each race would leave a reaction on it holding its result (a chunk).
  private readonly waiting = new Set<(err: unknown) => void>()
  private readonly pumped: Promise<void>

  constructor(zipBytes: AsyncIterable<Buffer>) {
    this.pumped = this.pump(zipBytes)
  }

  /** Awaits exceljs, unless the bytes failed first; an exceljs error becomes a 422. */
  async race<T>(p: Promise<T>): Promise<T> {
    try {
      if (this.failure) throw this.failure
      return await new Promise<T>((resolve, reject) => {
        this.waiting.add(reject)
        p.then(resolve, reject).finally(() => this.waiting.delete(reject))
      })
    } catch (err) {
      if (this.failure) throw this.failure
      if (err instanceof HttpProblem) throw err
      throw unreadable(`corrupt xlsx: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /** Once exceljs is done: waits for the bytes' end and throws what failed on the way. */
  async finished(): Promise<void> {
    await this.pumped
    if (this.failure) throw this.failure
  }

  /** Stops feeding and drops what exceljs did not read. */
  close(): void {
    this.stop.abort()
    this.stream.destroy()
  }

  private async pump(zipBytes: AsyncIterable<Buffer>): Promise<void> {
    try {
      for await (const chunk of zipBytes) {
        if (!this.stream.write(chunk)) await once(this.stream, 'drain', { signal: this.stop.signal })
      }
    } catch (err) {
      this.fail(err)
    } finally {
      this.stream.end()
    }
  }

  private fail(err: unknown): void {
    this.failure ??= err
    for (const reject of this.waiting) reject(this.failure)
    this.waiting.clear()
  }
}
