// An ingest thread (see encode-thread.ts). It runs one job at a time; its input arrives as
// chunks, each acknowledged once taken. An upload: the reader takes the body, the COPY CSV goes
// back at most CSV_WINDOW chunks ahead of what the main thread has taken, then the totals and the
// aggregates. An aggregates job: the stored rows as COPY text in file order in, the dataset's
// aggregates out (for a dataset the upload could not aggregate). Or the problem that
// stopped the job. Messages of a job that is over are ignored.
import { Readable } from 'node:stream'
import { parentPort } from 'node:worker_threads'
import { HttpProblem } from '../errors.ts'
import { AggregateBuilder } from '../aggregates/build.ts'
import { readUpload } from '../ingest/upload.ts'
import type { Transaction } from '../pipeline/types.ts'
import { encodeUpload } from './encode.ts'
import { CSV_WINDOW, type FromThread, type ThreadJob, type ToThread } from './thread-protocol.ts'

const port = parentPort!
const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)

class Upload {
  readonly chunks: Buffer[] = []
  ended = false
  credits = CSV_WINDOW
  // The body and the CSV credits are waited for at the same time: every waiter re-checks.
  private waiters: (() => void)[] = []

  readonly id: number
  constructor(id: number) {
    this.id = id
  }

  changed(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  async *body(): AsyncGenerator<Buffer> {
    for (;;) {
      await this.until(() => this.chunks.length > 0 || this.ended)
      const chunk = this.chunks.shift()
      if (chunk === undefined) return
      post({ type: 'taken', id: this.id })
      yield chunk
    }
  }
}

let current: Upload | null = null
const utf8 = new TextEncoder()

async function encode(upload: Upload, job: Extract<ThreadJob, { kind: 'upload' }>): Promise<void> {
  // The aggregates are built in this same pass (issue 14): every accepted row, in file order.
  const builder = new AggregateBuilder()
  const onRows = (rows: readonly Transaction[]) => {
    for (let i = 0; i < rows.length; i++) builder.push(rows[i]!)
  }
  const encoded = encodeUpload(readUpload(Readable.from(upload.body(), { highWaterMark: 1 }), job.hints), job.datasetId, { maxRejectedShare: job.hints.reading?.maxRejectedShare, onRows })
  for await (const text of encoded.csv) {
    await upload.until(() => upload.credits > 0)
    upload.credits--
    // Encoded here, so the bytes move to the main thread without a copy.
    const chunk = typeof text === 'string' ? utf8.encode(text) : text
    post({ type: 'csv', id: upload.id, chunk, keyed: encoded.keyed() }, [chunk.buffer as ArrayBuffer])
  }
  const aggregates = builder.encode()
  post({ type: 'done', id: upload.id, totals: encoded.totals(), aggregates }, [aggregates.buffer as ArrayBuffer])
}

async function aggregate(job: Upload): Promise<void> {
  const { parseCopyRows } = await import('./read.ts')
  const builder = new AggregateBuilder()
  for await (const rows of parseCopyRows(job.body())) for (let i = 0; i < rows.length; i++) builder.push(rows[i]!)
  const aggregates = builder.encode()
  post({ type: 'aggregated', id: job.id, aggregates }, [aggregates.buffer as ArrayBuffer])
}

async function run(job: Upload, start: Extract<ToThread, { type: 'start' }>): Promise<void> {
  try {
    if (start.job.kind === 'upload') await encode(job, start.job)
    else await aggregate(job)
  } catch (err) {
    if (err instanceof HttpProblem) post({ type: 'problem', id: job.id, status: err.status, title: err.title, detail: err.detail, errors: err.errors })
    else post({ type: 'error', id: job.id, message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  } finally {
    current = null
  }
}

port.on('message', (m: ToThread) => {
  if (m.type === 'start') {
    current = new Upload(m.id)
    void run(current, m)
    return
  }
  const upload = current
  if (upload === null || m.id !== upload.id) return
  // Transferred bytes arrive as a plain Uint8Array; the reader works on Buffers.
  if (m.type === 'chunk') upload.chunks.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength))
  else if (m.type === 'end') upload.ended = true
  else upload.credits++
  upload.changed()
})
