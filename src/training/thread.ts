// A training in a thread of its own, so the API's event loop keeps serving while a model trains
// (WORKER=inline; docs/decisions.md, "Training in a thread"). Everything CPU-heavy of
// `runTraining` (the aggregates' merge, the pipeline's train, the value fit) runs in the thread; the
// main thread answers its database requests (thread-db.ts), records its stages, and gets the
// finished Training back (structured clone). So does what the save derives from it (the drift
// reference; the COPY rows, asked for chunk by chunk as the save writes them): building those
// rows on the main thread blocked its event loop for 0.2-0.5 s (docs/benchmarks.md, issue 13
// point 7). One thread per training, ended once the model is saved: its heap goes with it.
import { Worker } from 'node:worker_threads'
import type { Database } from '../db/database.ts'
import type { RowTable, SaveParts } from '../registry/save-parts.ts'
import type { TrainingParams } from './params.ts'
import { serveDatabase } from './thread-db.ts'
import { isRowsAnswer, type FromThread, type RowsAnswer, type ThreadStart, type ToThread } from './thread-protocol.ts'
import { TooLittleData, type Training, type TrainingHooks } from './train.ts'

const ENTRY = new URL('./thread-entry.ts', import.meta.url)

export interface ThreadHooks extends Omit<TrainingHooks, 'previous'> {
  /**
   * The active model's version; the thread loads its bundle (`TrainingHooks.previous`) itself:
   * parsed on the main thread, it held the event loop ~20 ms on the full file.
   */
  previousVersion?: number | null
  /** Aborted while training: the thread is ended at once and the training rejects with the signal's reason. */
  signal?: AbortSignal
}

/** A finished training whose thread still lives, to make the save's parts. */
export interface ThreadTraining {
  training: Training
  /** For `saveModel`: the reference and the rows, made in the thread. */
  parts: SaveParts
  /** Ends the thread (the parts' rows fail after it). */
  close(): Promise<void>
}

/** `runTraining(db, params, hooks)`, run in a worker thread, which is ended before this resolves. */
export async function runTrainingInThread(db: Database, params: TrainingParams, hooks: ThreadHooks = {}): Promise<Training> {
  const trained = await trainInThread(db, params, hooks)
  await trained.close()
  return trained.training
}

/** `runTraining(db, params, hooks)`, run in a worker thread that is kept for the save until `close`. */
export async function trainInThread(db: Database, params: TrainingParams, hooks: ThreadHooks = {}): Promise<ThreadTraining> {
  const { signal } = hooks
  signal?.throwIfAborted()
  const start: ThreadStart = { params, previousVersion: hooks.previousVersion ?? null, kind: db.kind }
  // Node 24 runs the thread's TypeScript entry itself (type stripping), as it runs the server.
  const thread = new Worker(ENTRY, { workerData: start })
  const relay = serveDatabase(db, thread)
  const rows = rowsFrom(thread)
  const close = async () => {
    await thread.terminate()
    await relay.close()
  }
  let onAbort = () => {}
  try {
    const done = await new Promise<Extract<FromThread, { type: 'done' }>>((resolve, reject) => {
      // Once settled, what the thread still says about the training is ignored: no more stages.
      let settled = false
      const fail = (err: unknown) => {
        settled = true
        reject(err)
      }
      onAbort = () => fail(signal!.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      thread.on('message', (m: FromThread) => {
        if (settled) return
        if (m.type === 'stage') {
          // A stage that throws (a cancel, a lost job) ends the training: the thread is ended below.
          const recorded = hooks.stage ? hooks.stage(m.stage, m.progress) : Promise.resolve()
          recorded.then(() => { if (!settled) thread.postMessage({ type: 'go' } satisfies ToThread) }, fail)
        } else if (m.type === 'done') {
          settled = true
          resolve(m)
        } else if (m.type === 'error') fail(threadError(m))
      })
      thread.on('error', fail)
      thread.on('exit', (code) => fail(new Error(`the training thread exited (code ${code}) before it finished`)))
    })
    return { training: done.training, parts: { reference: done.reference, rows }, close }
  } catch (err) {
    await close()
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * The thread's rows of a COPY, chunk by chunk: the next chunk is asked for as soon as one
 * arrives, so the thread builds it while this one is written; at most two are held here.
 */
function rowsFrom(thread: Worker): SaveParts['rows'] {
  let nextId = 1
  const streams = new Map<number, (a: RowsAnswer | Error) => void>()
  let gone: Error | null = null
  const end = (err: Error) => {
    gone ??= err
    for (const tell of streams.values()) tell(gone)
  }
  thread.on('message', (m: FromThread) => {
    if (isRowsAnswer(m)) streams.get(m.id)?.(m)
  })
  thread.on('error', end)
  thread.on('exit', (code) => end(new Error(`the training thread exited (code ${code}) while the model was saved`)))
  return async function* rows(table: RowTable, version: number): AsyncGenerator<Uint8Array> {
    if (gone) throw gone
    const id = nextId++
    const inbox: (RowsAnswer | Error)[] = []
    let wake = () => {}
    streams.set(id, (a) => {
      inbox.push(a)
      wake()
    })
    try {
      thread.postMessage({ type: 'csv', id, table, version } satisfies ToThread)
      for (;;) {
        while (inbox.length === 0) await new Promise<void>((resolve) => { wake = resolve })
        const a = inbox.shift()!
        if (a instanceof Error) throw a
        if (a.type === 'csv-end') return
        if (a.type === 'csv-failed') throw new Error(a.message)
        thread.postMessage({ type: 'csv-next', id } satisfies ToThread)
        yield a.bytes
      }
    } finally {
      streams.delete(id)
    }
  }
}

/** The thread's error as the caller knows it: TooLittleData stays TooLittleData (a permanent failure). */
function threadError(m: Extract<FromThread, { type: 'error' }>): Error {
  const err = m.tooLittleData ? new TooLittleData(m.message) : new Error(m.message)
  if (m.stack) err.stack = `${err.name}: ${m.message}\n    (in the training thread)\n${m.stack.split('\n').slice(1).join('\n')}`
  return err
}
