// Segments of a served model for marketing tools: a segment's profile, its members in customer
// id order as JSON pages (an opaque cursor pins the model version), or all of them as CSV.
import { HttpProblem } from '../errors.ts'
import type { ServedModel } from '../registry/served.ts'
import { csvRow } from '../codec/csv.ts'
import { segmentValue } from './customer-value.ts'

/** A segment's name, description, size, share, profile, first 10 top products and value aggregates; 404 for an id the model does not have. */
export function segmentView(m: ServedModel, id: number) {
  const s = m.bundle.segments[id]
  if (!s) throw new HttpProblem(404, 'Not Found', `model version ${m.version} has segments 0 to ${m.bundle.segments.length - 1}, not ${id}`)
  return {
    id: s.id,
    name: s.name ?? `Segment ${s.id}`,
    description: s.description ?? '',
    size: s.size,
    share: s.share,
    profile: s.profile ?? {},
    topProducts: (s.topProducts ?? []).slice(0, 10),
    value: segmentValue(m, id),
  }
}

const encodeCursor = (version: number, after: string) => Buffer.from(JSON.stringify([version, after])).toString('base64url')
/** The (model version, last customer id) of a cursor this service issued; 400 otherwise. */
export function decodeCursor(cursor: string): [number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown
    if (Array.isArray(v) && Number.isInteger(v[0]) && typeof v[1] === 'string') return [v[0] as number, v[1]]
  } catch { /* falls through */ }
  throw new HttpProblem(400, 'Bad Request', 'cursor is not one this service issued', [{ path: 'querystring.cursor', message: 'invalid' }])
}

/** First member index whose customer id sorts after `after` (members are in id order). */
function startAfter(m: ServedModel, members: Int32Array, after: string): number {
  let lo = 0
  let hi = members.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (m.customerIds[members[mid]!]! <= after) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface MemberPage {
  modelVersion: number
  segment: number
  items: { customerId: string; distance: number; outlier: boolean; features: Record<string, number> }[]
  nextCursor: string | null
}

/** Up to `limit` members of segment `id` whose customer id sorts after `after` (from the first without). */
export function segmentMembers(m: ServedModel, id: number, after: string | undefined, limit: number): MemberPage {
  const seg = segmentView(m, id)
  const members = m.members[seg.id]!
  const k = m.bundle.segments.length
  const d = m.bundle.features.length
  const features = (i: number) => Object.fromEntries(m.bundle.features.map((f, j) => [f, m.features[i * d + j]!]))
  const from = after === undefined ? 0 : startAfter(m, members, after)
  const page = members.subarray(from, from + limit)
  const items = Array.from(page, (i) => ({ customerId: m.customerIds[i]!, distance: m.distances[i * k + seg.id]!, outlier: m.outlier[i] === 1, features: features(i) }))
  const more = from + limit < members.length
  return { modelVersion: m.version, segment: seg.id, items, nextCursor: more ? encodeCursor(m.version, items[items.length - 1]!.customerId) : null }
}

/** Every member of segment `id` as spreadsheet-safe CSV, with the file name to offer. */
export function segmentCsv(m: ServedModel, id: number): { filename: string; csv: string } {
  const seg = segmentView(m, id)
  const k = m.bundle.segments.length
  const d = m.bundle.features.length
  let out = csvRow(['customerId', 'segmentId', 'segmentName', 'distance', 'outlier', ...m.bundle.features])
  for (const i of m.members[seg.id]!) {
    const row: (string | number | boolean)[] = [m.customerIds[i]!, seg.id, seg.name, m.distances[i * k + seg.id]!, m.outlier[i] === 1]
    for (let j = 0; j < d; j++) row.push(m.features[i * d + j]!)
    out += csvRow(row)
  }
  return { filename: `segment-${seg.id}-model-${m.version}.csv`, csv: out }
}
