// A training thread (see thread.ts): runs one `runTraining` on the relayed database and posts its
// result or its error. At each stage boundary it waits for the main thread's `go` (the stage is
// recorded there and a cancel takes effect: the main thread then ends this thread instead).
import { parentPort, workerData } from 'node:worker_threads'
import { relayedDatabase } from './thread-db.ts'
import type { FromThread, ThreadStart, ToThread } from './thread-protocol.ts'
import { runTraining, TooLittleData } from './train.ts'

const port = parentPort!
const post = (m: FromThread) => port.postMessage(m)
const start = workerData as ThreadStart

let go: (() => void) | null = null
port.on('message', (m: ToThread) => {
  if (m.type === 'go') go?.()
})

const stage = (name: string, progress: number) => new Promise<void>((resolve) => {
  go = resolve
  post({ type: 'stage', stage: name, progress })
})

try {
  const training = await runTraining(relayedDatabase(port, start.kind), start.params, { previous: start.previous, stage })
  post({ type: 'done', training })
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err))
  post({ type: 'error', message: e.message, stack: e.stack, tooLittleData: err instanceof TooLittleData })
}
