// What `saveModel` derives from a training besides its own fields: the drift reference and the
// COPY CSV rows of the version's assignments and customer values. Made where the training is:
// in the saving thread by default, in the training thread for the API's inline worker
// (src/training/thread.ts), whose main thread then only pipes the rows' bytes into the COPY
// (building them is ~0.2-0.5 s of string work and garbage that stalled predictions).
import { copyCsvNumberArray, copyCsvText, copyCsvTextArray } from '../codec/csv.ts'
import { buildReference, type ModelReference } from '../drift/model-reference.ts'
import { boughtStockCodes } from '../pipeline/recommend.ts'
import type { Training } from '../training/train.ts'
import { customerValueCsv } from './value-rows.ts'

export const ASSIGNMENT_COLUMNS = ['version', 'customer_id', 'segment', 'distances', 'features', 'products', 'outlier'] as const

/** The two COPYs of a version, as `saveModel` runs them. */
export type RowTable = 'assignments' | 'customer_values'

export interface SaveParts {
  /** The training distribution, kept for drift reports (sketches and counts, no rows). */
  reference: ModelReference
  /** COPY CSV chunks of `table` for `version`; customer_values only for a training with a value model. */
  rows(table: RowTable, version: number): AsyncIterable<string | Uint8Array>
}

export function* assignmentCsv(version: number, t: Training, chunkRows = 2000): Generator<string> {
  const { table, result, build } = t
  const k = result.distances.cols
  const d = table.features.length
  let out = ''
  for (let i = 0; i < table.customerIds.length; i++) {
    out += `${version},${copyCsvText(table.customerIds[i]!)},${result.assignments[i]},${copyCsvNumberArray(result.distances.data, i * k, (i + 1) * k)},`
      + `${copyCsvNumberArray(table.values, i * d, (i + 1) * d)},${copyCsvTextArray(boughtStockCodes(build.baskets, i))},${result.outliers[i] === 1}\n`
    if ((i + 1) % chunkRows === 0) {
      yield out
      out = ''
    }
  }
  if (out) yield out
}

/** The rows of `table` as text chunks, built from the training. */
export function* rowsOf(t: Training, table: RowTable, version: number): Generator<string> {
  if (table === 'assignments') return yield* assignmentCsv(version, t)
  if (!t.value) throw new Error('customer_values rows of a training without a value model')
  yield* customerValueCsv(version, t.value.customers)
}

async function* toAsync(it: Iterable<string>): AsyncIterable<string> {
  yield* it
}

/** The parts made from the training in this thread. */
export function saveParts(t: Training): SaveParts {
  return { reference: buildReference(t.result.bundle, t.table), rows: (table, version) => toAsync(rowsOf(t, table, version)) }
}
