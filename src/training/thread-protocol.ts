// What the API's main thread and a training thread say to each other (thread.ts, thread-entry.ts,
// thread-db.ts). The thread runs `runTraining`; the database stays on the main thread (PGlite is
// an in-process database that a second thread cannot open), so the thread's queries and COPY
// reads are relayed: each names its request, and its answer names it back.
import type { Training } from './train.ts'
import type { TrainingParams } from './params.ts'
import type { ModelBundle } from '../pipeline/bundle.ts'

/** COPY chunks the main thread may send before the training thread takes them. */
export const COPY_WINDOW = 4

/** The thread's `workerData`. */
export interface ThreadStart {
  params: TrainingParams
  previous: ModelBundle | undefined
  kind: 'postgres' | 'pglite'
}

/** Database requests, thread → main. */
export type DbRequest =
  | { type: 'query'; id: number; text: string; params: unknown[] | undefined }
  /** Starts `COPY (select) TO STDOUT`; its chunks come back as `chunk`s, then `end`. */
  | { type: 'copy'; id: number; select: string }
  /** The reader took a chunk of copy `id`: the main thread may send one more. */
  | { type: 'taken'; id: number }
  /** The reader stopped early: the main thread ends the COPY. */
  | { type: 'stop'; id: number }

/** Database answers, main → thread. */
export type DbAnswer =
  | { type: 'rows'; id: number; rows: unknown[] }
  | { type: 'chunk'; id: number; bytes: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'failed'; id: number; message: string }

export type FromThread =
  | DbRequest
  /** A stage boundary: the thread waits for `go`, sent once the stage is recorded and no cancel was asked. */
  | { type: 'stage'; stage: string; progress: number }
  | { type: 'done'; training: Training }
  /** `tooLittleData`: a TooLittleData error (the job fails at once rather than retrying). */
  | { type: 'error'; message: string; stack: string | undefined; tooLittleData: boolean }

export type ToThread = DbAnswer | { type: 'go' }
