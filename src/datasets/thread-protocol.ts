// What the main thread and an ingest thread say to each other (encode-thread.ts, encode-worker.ts).
// A job is an upload to encode, or a dataset's stored rows (COPY text, file order) to aggregate.
// Every message names its job, so one that arrives after its job is over is ignored.
import type { FieldError } from '../errors.ts'
import type { UploadHints } from '../ingest/upload.ts'
import type { EncodedTotals } from './encode.ts'

/** CSV chunks (one parse batch each, ~70 KB) the thread may post before the COPY takes them. */
export const CSV_WINDOW = 4
/** Body chunks sent to the thread before its reader takes them, and their largest size. */
export const INPUT_WINDOW = 8
export const INPUT_CHUNK = 64 * 1024

export type ThreadJob = { kind: 'upload'; hints: UploadHints; datasetId: string } | { kind: 'aggregates' }

export type ToThread =
  | { type: 'start'; id: number; job: ThreadJob }
  | { type: 'chunk'; id: number; bytes: Uint8Array }
  | { type: 'end'; id: number }
  /** The COPY took a CSV chunk: the thread may post one more. */
  | { type: 'more'; id: number }

export type FromThread =
  /** The reader took a body chunk: the main thread may send one more. */
  | { type: 'taken'; id: number }
  | { type: 'csv'; id: number; chunk: Uint8Array; keyed: boolean }
  | { type: 'done'; id: number; totals: EncodedTotals; aggregates: Uint8Array }
  | { type: 'aggregated'; id: number; aggregates: Uint8Array }
  | { type: 'problem'; id: number; status: number; title: string; detail: string; errors: FieldError[] | undefined }
  | { type: 'error'; id: number; message: string }
