// What the API's main thread and a training thread say to each other (thread.ts, thread-entry.ts,
// thread-db.ts). The thread runs `runTraining`; the database stays on the main thread (PGlite is
// an in-process database that a second thread cannot open), so the thread's queries and COPY
// reads are relayed: each names its request, and its answer names it back. Once trained, the
// thread also makes what the save needs besides the Training (the drift reference, the rows of
// the version's COPYs): the main thread asks for the rows chunk by chunk while it saves.
import type { Training } from './train.ts'
import type { TrainingParams } from './params.ts'
import type { ModelReference } from '../drift/model-reference.ts'
import type { RowTable } from '../registry/save-parts.ts'

/** COPY chunks the main thread may send before the training thread takes them. */
export const COPY_WINDOW = 4

/** The thread's `workerData`. */
export interface ThreadStart {
  params: TrainingParams
  /** The active model's version: the thread reads and parses its bundle (segment ids are matched to it). */
  previousVersion: number | null
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

export const isDbAnswer = (m: { type: string }): m is DbAnswer => m.type === 'rows' || m.type === 'chunk' || m.type === 'end' || m.type === 'failed'

/**
 * Rows of a COPY of the save, main → thread: `csv` asks for the first chunk of `table` for
 * `version`, `csv-next` for the next one (one chunk asked for at a time: the thread builds the
 * next while the main thread writes this one). The ids are the main thread's own.
 */
export type RowsRequest =
  | { type: 'csv'; id: number; table: RowTable; version: number }
  | { type: 'csv-next'; id: number }

/** Rows of a COPY, thread → main: UTF-8 bytes (transferred), then the end, or the failure. */
export type RowsAnswer =
  | { type: 'csv-chunk'; id: number; bytes: Uint8Array }
  | { type: 'csv-end'; id: number }
  | { type: 'csv-failed'; id: number; message: string }

export const isRowsAnswer = (m: { type: string }): m is RowsAnswer => m.type === 'csv-chunk' || m.type === 'csv-end' || m.type === 'csv-failed'

export type FromThread =
  | DbRequest
  | RowsAnswer
  /** A stage boundary: the thread waits for `go`, sent once the stage is recorded and no cancel was asked. */
  | { type: 'stage'; stage: string; progress: number }
  /** Trained; the thread stays (answering RowsRequests) until the main thread ends it. */
  | { type: 'done'; training: Training; reference: ModelReference }
  /** `tooLittleData`: a TooLittleData error (the job fails at once rather than retrying). */
  | { type: 'error'; message: string; stack: string | undefined; tooLittleData: boolean }

export type ToThread = DbAnswer | RowsRequest | { type: 'go' }
