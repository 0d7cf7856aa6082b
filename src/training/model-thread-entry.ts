// A modelling thread (see model-thread.ts): one `train` on the table it was started with; posts
// the result or the error, then the main thread ends it.
import { parentPort, workerData } from 'node:worker_threads'
import { train } from '../pipeline/train.ts'
import { annotateSegments } from './annotate.ts'
import { movedArrays, type ModelThreadMessage, type ModelThreadStart } from './model-thread.ts'

const start = workerData as ModelThreadStart
const { table, yardstick, baskets, options } = start
// The arrays the main thread moved here go back with the answer (their buffers are whole here too).
const moved = movedArrays(start)
let message: ModelThreadMessage
try {
  message = { type: 'done', result: train({ table, yardstick, annotate: annotateSegments(baskets) }, options), moved }
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err))
  message = { type: 'error', name: e.name, message: e.message, stack: e.stack, moved }
}
parentPort!.postMessage(message, moved.map((a) => a.buffer as ArrayBuffer))
