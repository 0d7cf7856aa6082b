// A training in a thread of its own, so the API's event loop keeps serving while a model trains
// (WORKER=inline; docs/decisions.md, "Training in a thread"). Everything CPU-heavy of
// `runTraining` (the aggregates' merge, the pipeline's train, the value fit) runs in the thread; the
// main thread answers its database requests (thread-db.ts), records its stages, and gets the
// finished Training back (structured clone) to save as the job always did. One thread per
// training, ended when it is over: its heap goes with it.
import { Worker } from 'node:worker_threads'
import type { Database } from '../db/database.ts'
import type { TrainingParams } from './params.ts'
import { serveDatabase } from './thread-db.ts'
import type { FromThread, ThreadStart, ToThread } from './thread-protocol.ts'
import { TooLittleData, type Training, type TrainingHooks } from './train.ts'

const ENTRY = new URL('./thread-entry.ts', import.meta.url)

export interface ThreadHooks extends TrainingHooks {
  /** Aborted: the thread is ended at once and the training rejects with the signal's reason. */
  signal?: AbortSignal
}

/** `runTraining(db, params, hooks)`, run in a worker thread. */
export async function runTrainingInThread(db: Database, params: TrainingParams, hooks: ThreadHooks = {}): Promise<Training> {
  const { signal } = hooks
  signal?.throwIfAborted()
  const start: ThreadStart = { params, previous: hooks.previous, kind: db.kind }
  // Node 24 runs the thread's TypeScript entry itself (type stripping), as it runs the server.
  const thread = new Worker(ENTRY, { workerData: start })
  const relay = serveDatabase(db, thread)
  let onAbort = () => {}
  try {
    return await new Promise<Training>((done, fail) => {
      // Once settled, what the thread still says (before it is ended) is ignored: no more stages.
      let settled = false
      const resolve = (t: Training) => { settled = true; done(t) }
      const reject = (err: unknown) => { settled = true; fail(err) }
      onAbort = () => reject(signal!.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      thread.on('message', (m: FromThread) => {
        if (settled) return
        if (m.type === 'stage') {
          // A stage that throws (a cancel, a lost job) ends the training: the thread is ended below.
          const recorded = hooks.stage ? hooks.stage(m.stage, m.progress) : Promise.resolve()
          recorded.then(() => { if (!settled) thread.postMessage({ type: 'go' } satisfies ToThread) }, reject)
        } else if (m.type === 'done') resolve(m.training)
        else if (m.type === 'error') reject(threadError(m))
      })
      thread.on('error', reject)
      thread.on('exit', (code) => reject(new Error(`the training thread exited (code ${code}) before it finished`)))
    })
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await thread.terminate()
    await relay.close()
  }
}

/** The thread's error as the caller knows it: TooLittleData stays TooLittleData (a permanent failure). */
function threadError(m: Extract<FromThread, { type: 'error' }>): Error {
  const err = m.tooLittleData ? new TooLittleData(m.message) : new Error(m.message)
  if (m.stack) err.stack = `${err.name}: ${m.message}\n    (in the training thread)\n${m.stack.split('\n').slice(1).join('\n')}`
  return err
}
