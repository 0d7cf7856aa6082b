// The pipeline's `train` (scaling, PCA, k-means and its k selection, evaluation, segment
// annotations) in a worker thread of its own, for a standalone worker process's training.
//
// Why: `train` is one synchronous call. On the main thread of a worker process it holds the event
// loop for as long as it runs (over 30 s on ten x10 datasets, 437,200 customers), and pg-boss'
// heartbeat for the job is a timer on that loop: a long enough modelling made the job look dead,
// and pg-boss handed it on while it was still running (docs/decisions.md, "The modelling in a
// thread"). In a thread, the loop keeps beating, answering cancels and running merge-range jobs.
// Its inputs and result are typed arrays and plain objects. The inputs' large arrays (the tables'
// values, the baskets) are moved to the thread and back rather than copied: a copy added 84 MiB
// to the three-x10 training's peak. Strings (customer ids, stock codes) are copied.
// The API's inline worker needs none of this: its whole training already runs in a thread (thread.ts).
import { Worker } from 'node:worker_threads'
import type { Baskets, FeatureTable } from '../pipeline/types.ts'
import type { TrainOptions, TrainResult } from '../pipeline/train.ts'

const ENTRY = new URL('./model-thread-entry.ts', import.meta.url)

/** What the thread gets (workerData): `train`'s input without the annotate callback, which it makes from the baskets. */
export interface ModelThreadStart {
  table: FeatureTable
  yardstick?: FeatureTable
  baskets: Baskets
  /** `TrainOptions` without `spec` (specs are the recipes' own; a test's override stays in-process). */
  options: Omit<TrainOptions, 'spec'>
}

/** The inputs' moved arrays, in `movedArrays` order, handed back with the answer. */
export type MovedArrays = (Float64Array | Int32Array)[]

export type ModelThreadMessage =
  | { type: 'done'; result: TrainResult; moved: MovedArrays }
  | { type: 'error'; name: string; message: string; stack?: string; moved: MovedArrays }

/**
 * The start's arrays that are moved to the thread, then back: those that are all of a buffer no
 * other of them shares (moving a buffer empties every view of it). The rest are copied.
 */
export function movedArrays(start: Pick<ModelThreadStart, 'table' | 'yardstick' | 'baskets'>): MovedArrays {
  const all = [start.table.values, start.yardstick?.values, start.baskets.offsets, start.baskets.items].filter((a) => a !== undefined)
  const uses = new Map<ArrayBufferLike, number>()
  for (const a of all) uses.set(a.buffer, (uses.get(a.buffer) ?? 0) + 1)
  return all.filter((a) => a.buffer instanceof ArrayBuffer && uses.get(a.buffer) === 1 && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
}

/** Puts the arrays handed back in place of the (detached) ones that were moved. */
export function restoreMoved(start: Pick<ModelThreadStart, 'table' | 'yardstick' | 'baskets'>, before: MovedArrays, back: MovedArrays): void {
  before.forEach((a, i) => {
    const b = back[i]!
    if (a === start.table.values) start.table.values = b as Float64Array
    else if (start.yardstick && a === start.yardstick.values) start.yardstick.values = b as Float64Array
    else if (a === start.baskets.offsets) start.baskets.offsets = b as Int32Array
    else if (a === start.baskets.items) start.baskets.items = b as Int32Array
  })
}

/**
 * `train({table, yardstick, annotate: annotateSegments(baskets)}, options)` in a new thread, ended
 * before this settles. Aborting `signal` ends the thread at once and rejects with its reason; the
 * moved arrays are then lost (left empty), as is the training.
 */
export async function trainInModelThread(start: ModelThreadStart, signal?: AbortSignal): Promise<TrainResult> {
  signal?.throwIfAborted()
  const moved = movedArrays(start)
  const thread = new Worker(ENTRY, { workerData: start, transferList: moved.map((a) => a.buffer as ArrayBuffer) })
  let onAbort = () => {}
  try {
    return await new Promise<TrainResult>((resolve, reject) => {
      onAbort = () => reject(signal!.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      thread.once('message', (m: ModelThreadMessage) => {
        restoreMoved(start, moved, m.moved)
        if (m.type === 'done') resolve(m.result)
        else reject(Object.assign(new Error(m.message), { name: m.name, stack: m.stack }))
      })
      thread.once('error', reject)
      thread.once('exit', (code) => reject(new Error(`the modelling thread exited (code ${code}) before it finished`)))
    })
  } finally {
    signal?.removeEventListener('abort', onAbort)
    await thread.terminate()
  }
}
