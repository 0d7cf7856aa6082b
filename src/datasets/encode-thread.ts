// Ingest threads: worker threads, each with its own heap limit, that read and encode uploads and
// aggregate a stored dataset's rows when its upload could not.
//
// Why threads: parsing millions of rows makes garbage faster than V8 returns it, and the main
// heap grew with the file (361 MiB for the full file, 405 MiB for ten times it) although little
// of it was live. A process-wide --max-old-space-size would also cap training in the same
// process, so the parse gets a bounded heap of its own instead (docs/decisions.md). The API's
// event loop is also free while a large file is being parsed.
//
// A thread runs one job at a time. After a small upload, or one refused early, it is kept, idle,
// for the next one; after a large one, or one that hit a limit, it ends and takes its typed
// arrays with it (an idle thread does not collect its garbage). Its heap's pages stay in the
// process, and the next thread's heap reuses them (measured with /proc/<pid>/smaps: the 256 KiB
// pages after one x10 upload 96 MiB, after a second 99). Threads for concurrent jobs end when
// done.
// The input goes to the thread in chunks, at most INPUT_WINDOW ahead of its reader (one job on
// its thread: job-on-thread.ts); an upload's CSV chunks come back at most CSV_WINDOW ahead of the
// COPY. When an upload stops early the request body is left as it is, never destroyed: the
// route still answers, then closes the connection.
import type { Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { HttpProblem } from '../errors.ts'
import { bytesText } from '../ingest/problems.ts'
import type { UploadHints } from '../ingest/upload.ts'
import type { EncodedTotals, EncodedUpload } from './encode.ts'
import { JobOnThread, type Event, type Job } from './job-on-thread.ts'
import type { ThreadJob } from './thread-protocol.ts'

/**
 * Heap of an upload thread. The young generation: 24 MB instead of V8's 48 kept the server under
 * 300 MiB for the full file, for ~20 % more time on the 10x file (docs/benchmarks.md); 12 (one
 * in-process run at x10) saved no RSS and took 40 % longer. The rest grows with the file's
 * customers and days (the aggregate builder's state: docs/benchmarks.md, "Upload thread
 * memory"). The old generation is a safety cap: the x10 file's upload ends with ~40 MB of live
 * heap, and a 64 MB cap ran out of memory on the full file now and then (before the builder's
 * tables); 128 costs no RSS.
 */
export const THREAD_OLD_HEAP_MB = 128
export const THREAD_YOUNG_HEAP_MB = 24
/**
 * An xlsx's shared strings are held in the thread's heap while its sheet is read, so they are
 * capped well below it (413 beyond). The full UCI workbook's take 0.3 MB.
 */
export const THREAD_SHARED_STRINGS_BYTES = 16 * 2 ** 20
/** A thread that was sent more body than this is not kept for the next upload. */
export const REUSE_MAX_BYTES = 16 * 2 ** 20
/** Nor is one that refused an upload after this much, or for a limit (413). */
export const REUSE_AFTER_PROBLEM_BYTES = 2 ** 20

const ENTRY = new URL('./encode-worker.ts', import.meta.url)

export class UploadThreads {
  private idle: Worker | null = null
  private readonly running = new Set<Worker>()
  private nextId = 1
  private closed = false

  /** Reads `source` in a thread into COPY CSV for the dataset `datasetId`. */
  encode(source: Readable, hints: UploadHints, datasetId: string): EncodedUpload {
    // destroyOnReturn: false: stopping early leaves the body to the route (see above).
    const job = this.start({ kind: 'upload', hints: { maxSharedStringsBytes: THREAD_SHARED_STRINGS_BYTES, ...hints }, datasetId }, source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>)
    let totals: EncodedTotals | null = null
    let keyed = false
    async function* csv(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          const e = await job.next()
          switch (e.type) {
            case 'csv':
              keyed = e.keyed
              yield Buffer.from(e.chunk.buffer, e.chunk.byteOffset, e.chunk.byteLength)
              job.send({ type: 'more', id: e.id })
              break
            case 'done':
              job.reusable = job.sent() <= REUSE_MAX_BYTES
              totals = { ...e.totals, aggregates: e.aggregates }
              return
            default:
              throw failure(e, job)
          }
        }
      } finally {
        await job.stop()
      }
    }
    return {
      csv: { [Symbol.asyncIterator]: csv },
      totals() {
        if (!totals) throw new Error('EncodedUpload.totals() is only valid after csv has been read to the end')
        return totals
      },
      keyed: () => keyed,
      close: () => job.stop(),
    }
  }

  /**
   * A dataset's aggregates (src/aggregates/codec.ts) built in a thread from the COPY text of
   * `fileOrderSelect` (src/datasets/read.ts): its stored rows in file order.
   */
  async buildAggregates(copy: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
    const job = this.start({ kind: 'aggregates' }, copy)
    try {
      const e = await job.next()
      if (e.type !== 'aggregated') throw failure(e, job)
      return e.aggregates
    } finally {
      await job.stop()
    }
  }

  /** Ends every thread; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true
    const all = [...this.running, ...(this.idle ? [this.idle] : [])]
    this.idle = null
    await Promise.all(all.map((w) => w.terminate()))
  }

  private start(spec: ThreadJob, input: AsyncIterable<Uint8Array | string>): Job {
    if (this.closed) throw new Error('UploadThreads is closed')
    const job = new JobOnThread(this.nextId++, { acquire: () => this.acquire(), release: (w, reusable) => this.release(w, reusable) })
    job.run(spec, input)
    return job
  }

  private async acquire(): Promise<Worker> {
    let worker = this.idle
    this.idle = null
    if (worker === null) {
      if (this.closed) throw new Error('UploadThreads is closed')
      // Node 24 runs the thread's TypeScript entry itself (type stripping), as it runs the server.
      worker = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: THREAD_OLD_HEAP_MB, maxYoungGenerationSizeMb: THREAD_YOUNG_HEAP_MB } })
      const w = worker
      // An idle thread that dies (it should not) is simply not reused.
      w.on('exit', () => {
        this.running.delete(w)
        if (this.idle === w) this.idle = null
      })
      w.on('error', () => {})
    }
    worker.ref()
    this.running.add(worker)
    return worker
  }

  private async release(worker: Worker, reusable: boolean): Promise<void> {
    this.running.delete(worker)
    if (reusable && !this.closed && this.idle === null) {
      this.idle = worker
      worker.unref()
    } else {
      await worker.terminate()
    }
  }
}

/** What a job's unexpected event means for its caller; marks whether the thread can be reused. */
function failure(e: Event, job: Job): unknown {
  switch (e.type) {
    case 'problem':
      // Refused early and small (a bad header, a truncated gzip): nothing large was read.
      job.reusable = e.status !== 413 && job.sent() <= REUSE_AFTER_PROBLEM_BYTES
      return new HttpProblem(e.status, e.title, e.detail, e.errors)
    case 'error':
      return new Error(`ingest thread: ${e.message}`)
    case 'failed':
      if ((e.err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        return new HttpProblem(413, 'Payload Too Large', `reading this upload needs more than ${bytesText(THREAD_OLD_HEAP_MB * 2 ** 20)} of memory (too many distinct invoices or shared strings)`)
      }
      return e.err
    default:
      return new Error(`ingest thread: unexpected ${e.type} message`)
  }
}
