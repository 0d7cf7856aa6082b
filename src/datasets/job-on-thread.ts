// One job on one ingest thread (encode-thread.ts owns the threads): its input pumped to the
// thread in chunks, at most INPUT_WINDOW ahead of the thread's reader, its events queued in order,
// and the thread handed back to the pool when it stops.
import type { Worker } from 'node:worker_threads'
import { INPUT_CHUNK, INPUT_WINDOW, type FromThread, type ThreadJob, type ToThread } from './thread-protocol.ts'

export type Event = FromThread | { type: 'failed'; err: unknown }

/** One job on one thread: its input pumped in, its events in order, and how it ends. */
export interface Job {
  /** The next thing the thread said about this job, or what went wrong around it. */
  next(): Promise<Event>
  send(m: ToThread): void
  /** Whether the thread can take another job afterwards (set before stop). */
  reusable: boolean
  /** Stops the input and hands the thread back (kept idle or ended). */
  stop(): Promise<void>
  /** Body bytes sent so far. */
  sent(): number
}

/** Where a job gets its thread and gives it back. */
export interface ThreadPool {
  acquire(): Promise<Worker>
  release(worker: Worker, reusable: boolean): Promise<void>
}

export class JobOnThread implements Job {
  reusable = false
  private worker: Worker | null = null
  private readonly events: Event[] = []
  private waiters: (() => void)[] = []
  /** Input messages the thread has not taken yet. */
  private inFlight = 0
  private bytesSent = 0
  private over = false
  /** Input not sent yet (less than a message's worth). */
  private pending: Uint8Array[] = []
  private size = 0
  private readonly id: number
  private readonly pool: ThreadPool

  constructor(id: number, pool: ThreadPool) {
    this.id = id
    this.pool = pool
  }

  /** Gets a thread, starts the job on it and pumps `input` in; failures become a 'failed' event. */
  run(spec: ThreadJob, input: AsyncIterable<Uint8Array | string>): void {
    void this.pump(spec, input)
  }

  sent(): number {
    return this.bytesSent
  }

  send(m: ToThread, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer)
  }

  async next(): Promise<Event> {
    await this.until(() => this.events.length > 0)
    return this.events.shift()!
  }

  async stop(): Promise<void> {
    if (this.over) return
    this.over = true
    this.changed()
    if (this.worker === null) return // pump() hands back a thread that arrives after this
    this.worker.off('message', this.onMessage).off('error', this.onError).off('exit', this.onExit)
    await this.pool.release(this.worker, this.reusable)
  }

  // Listeners as fields: the same functions must be passed to off().
  private readonly onMessage = (m: FromThread): void => {
    if (m.id !== this.id) return
    if (m.type === 'taken') this.inFlight--
    else this.events.push(m)
    this.changed()
  }

  private readonly onError = (err: unknown): void => {
    this.events.push({ type: 'failed', err })
    this.changed()
  }

  private readonly onExit = (code: number): void => this.onError(new Error(`the ingest thread exited (code ${code}) before it finished`))

  private changed(): void {
    const w = this.waiters
    this.waiters = []
    for (const wake of w) wake()
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  private async pump(spec: ThreadJob, input: AsyncIterable<Uint8Array | string>): Promise<void> {
    try {
      const w = await this.pool.acquire()
      if (this.over) return this.pool.release(w, true)
      this.worker = w
      w.on('message', this.onMessage).on('error', this.onError).on('exit', this.onExit)
      this.send({ type: 'start', id: this.id, job: spec })
      for await (const chunk of input) {
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        this.pending.push(data)
        this.size += data.length
        if (this.size >= INPUT_CHUNK / 4) await this.flush(false)
        if (this.over) return
      }
      await this.flush(true)
      if (!this.over) this.send({ type: 'end', id: this.id })
    } catch (err) {
      // No thread, or the input failed or stopped short (client gone, truncated multipart).
      this.onError(err)
    }
  }

  /**
   * Sends the pending input in messages of INPUT_CHUNK bytes at most, whatever the input's chunks
   * (an injected request is one chunk), and of INPUT_CHUNK / 4 at least but for the last (`all`):
   * a slow client's tiny packets would otherwise each cost the thread's reader a message and a
   * zlib buffer.
   */
  private async flush(all: boolean): Promise<void> {
    const data = Buffer.concat(this.pending, this.size)
    let at = 0
    for (; at < data.length && (all || data.length - at >= INPUT_CHUNK / 4); at += INPUT_CHUNK) {
      await this.until(() => this.inFlight < INPUT_WINDOW || this.over)
      if (this.over) return
      this.inFlight++
      // A copy of just these bytes (a chunk can be a view of a larger buffer), moved, not cloned.
      const bytes = new Uint8Array(data.subarray(at, at + INPUT_CHUNK))
      this.bytesSent += bytes.length
      this.send({ type: 'chunk', id: this.id, bytes }, [bytes.buffer as ArrayBuffer])
    }
    this.pending = at < data.length ? [data.subarray(at)] : []
    this.size = data.length - Math.min(at, data.length)
  }
}
