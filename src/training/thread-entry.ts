// A training thread (see thread.ts): runs one `runTraining` on the relayed database and posts its
// result, with its drift reference, or its error. At each stage boundary it waits for the main
// thread's `go` (the stage is recorded there and a cancel takes effect: the main thread then ends
// this thread instead). Once trained it builds the rows of the save's COPYs as the main thread
// asks for them, one chunk at a time, until it is ended.
import { parentPort, workerData } from 'node:worker_threads'
import { buildReference } from '../drift/model-reference.ts'
import { rowsOf, type RowTable } from '../registry/save-parts.ts'
import { loadBundle } from '../registry/save.ts'
import { relayedDatabase } from './thread-db.ts'
import type { FromThread, ThreadStart, ToThread } from './thread-protocol.ts'
import { runTraining, TooLittleData, type Training } from './train.ts'

const port = parentPort!
const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
const start = workerData as ThreadStart
const utf8 = new TextEncoder()

let go: (() => void) | null = null
let training: Training | null = null
const copies = new Map<number, Iterator<string>>()

function* rowsFor(table: RowTable, version: number): Generator<string> {
  if (!training) throw new Error('rows asked for before the training finished')
  yield* rowsOf(training, table, version)
}

/** The next chunk of rows `id`, as bytes the main thread takes over (no copy, no re-encoding there). */
function nextChunk(id: number): void {
  const rows = copies.get(id)
  if (!rows) return
  try {
    const r = rows.next()
    if (r.done) {
      copies.delete(id)
      return post({ type: 'csv-end', id })
    }
    const bytes = utf8.encode(r.value)
    post({ type: 'csv-chunk', id, bytes }, [bytes.buffer as ArrayBuffer])
  } catch (err) {
    copies.delete(id)
    post({ type: 'csv-failed', id, message: err instanceof Error ? err.message : String(err) })
  }
}

port.on('message', (m: ToThread) => {
  if (m.type === 'go') go?.()
  else if (m.type === 'csv') {
    copies.set(m.id, rowsFor(m.table, m.version))
    nextChunk(m.id)
  } else if (m.type === 'csv-next') nextChunk(m.id)
})

const stage = (name: string, progress: number) => new Promise<void>((resolve) => {
  go = resolve
  post({ type: 'stage', stage: name, progress })
})

try {
  const db = relayedDatabase(port, start.kind)
  const previous = start.previousVersion === null ? undefined : ((await loadBundle(db, start.previousVersion)) ?? undefined)
  training = await runTraining(db, start.params, { previous, stage })
  post({ type: 'done', training, reference: buildReference(training.result.bundle, training.table) })
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err))
  post({ type: 'error', message: e.message, stack: e.stack, tooLittleData: err instanceof TooLittleData })
}
