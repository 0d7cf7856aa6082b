// A model version as the API serves it: the parsed bundle plus every training customer's
// assignment, held in typed arrays and indexed by customer id, so a prediction by id or a
// member list needs no database round trip.
import type { Database } from '../db/database.ts'
import type { ModelBundle } from '../pipeline/bundle.ts'
import { loadBundle } from './save.ts'
import { loadServedValue, type ServedValue } from './served-value.ts'
import { copyLines, decodeCopyString } from '../codec/csv.ts'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

/** Assignment rows parsed between two yields to the event loop. */
const PARSE_SLICE = 500

export interface ServedModel {
  version: number
  bundle: ModelBundle
  /** Sorted ascending, so member lists paginate by id. */
  customerIds: string[]
  index: Map<string, number>
  segment: Int32Array
  /** rows x k */
  distances: Float64Array
  /** rows x bundle.features.length (raw features) */
  features: Float64Array
  products: string[][]
  outlier: Uint8Array
  /** Row numbers of each segment's members, in customer id order. */
  members: Int32Array[]
  /** Predictions by row, built on first request: a version never changes, so neither do they. */
  answers: unknown[]
  /** The same, serialized, for GET /predict/customer/{id}. */
  answersJson: (string | undefined)[]
  /** Each customer's value (registry/served-value.ts); null for a version trained before the value model. */
  value: ServedValue | null
}

/** Parses a one-dimensional Postgres array literal of the COPY text format. */
export function parseArrayLiteral(s: string): string[] {
  if (s === '{}') return []
  const out: string[] = []
  let i = 1
  while (i < s.length - 1) {
    if (s[i] === '"') {
      let v = ''
      i++
      while (s[i] !== '"') {
        if (s[i] === '\\') i++
        v += s[i]
        i++
      }
      out.push(v)
      i += 2 // closing quote and the comma (or the closing brace)
    } else {
      const end = s.indexOf(',', i)
      const stop = end < 0 ? s.length - 1 : end
      out.push(s.slice(i, stop))
      i = stop + 1
    }
  }
  return out
}

export async function loadServedModel(db: Database, version: number): Promise<ServedModel | null> {
  const bundle = await loadBundle(db, version)
  if (!bundle) return null
  const k = bundle.segments.length
  const d = bundle.features.length
  const lines: string[] = []
  const select = `SELECT customer_id, segment, distances, features, products, outlier FROM assignments WHERE version = ${Number(version)} ORDER BY customer_id COLLATE "C"`
  for await (const batch of copyLines(db.copyOut(select))) for (const line of batch) lines.push(line)
  const n = lines.length
  const served: ServedModel = {
    version,
    bundle,
    customerIds: new Array<string>(n),
    index: new Map(),
    segment: new Int32Array(n),
    distances: new Float64Array(n * k),
    features: new Float64Array(n * d),
    products: new Array<string[]>(n),
    outlier: new Uint8Array(n),
    members: [],
    answers: new Array<unknown>(n),
    answersJson: new Array<string | undefined>(n),
    value: null,
  }
  const counts = new Int32Array(k)
  for (let from = 0; from < n; from += PARSE_SLICE) {
    // The API serves while a new version loads: it yields between slices (~5-10 ms of parsing
    // each for the full file) rather than block for the whole version (50-100 ms; issue 13 point 7).
    if (from > 0) await yieldToEventLoop()
    for (let i = from; i < Math.min(n, from + PARSE_SLICE); i++) {
      const [id, seg, dist, feat, prods, out] = lines[i]!.split('\t') as [string, string, string, string, string, string]
      const customerId = decodeCopyString(id)
      served.customerIds[i] = customerId
      served.index.set(customerId, i)
      served.segment[i] = Number(seg)
      counts[Number(seg)]!++
      parseArrayLiteral(dist).forEach((v, j) => { served.distances[i * k + j] = Number(v) })
      parseArrayLiteral(feat).forEach((v, j) => { served.features[i * d + j] = Number(v) })
      served.products[i] = parseArrayLiteral(decodeCopyString(prods))
      served.outlier[i] = out === 't' ? 1 : 0
    }
  }
  served.members = Array.from(counts, (c) => new Int32Array(c))
  const filled = new Int32Array(k)
  for (let i = 0; i < n; i++) {
    const s = served.segment[i]!
    served.members[s]![filled[s]!++] = i
  }
  served.value = await loadServedValue(db, version, served.index)
  return served
}
