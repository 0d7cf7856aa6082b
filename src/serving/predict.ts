// Predictions from a served model: by customer id (the stored training assignment), by raw
// feature values, or by raw transactions (parsed like an upload, cleaned and featurized as in
// training, as of the model's reference date).
import { HttpProblem, type FieldError } from '../errors.ts'
import { resolveColumns } from '../ingest/headers.ts'
import { toLine, type Cell } from '../ingest/record.ts'
import { scoreFeatures } from '../pipeline/bundle.ts'
import { featurizeTransactions } from '../pipeline/features.ts'
import { recommendProducts, DEFAULT_RECOMMENDATIONS } from '../pipeline/recommend.ts'
import type { Transaction } from '../pipeline/types.ts'
import type { ServedModel } from '../registry/served.ts'
import { isDefault, rfmOfRow, valueOfRow, valueOfTransactions, valueOptions, type RfmAnswer, type ValueAnswer, type ValueOptions } from './value.ts'

export interface Prediction {
  customerId: string | null
  modelVersion: number
  segment: { id: number; name: string; description: string }
  distances: number[]
  features: Record<string, number>
  recommendations: { stockCode: string; description: string }[]
  /** Null for a version without a value model, a customer without a purchase day up to asOf, or a prediction by features. */
  value: ValueAnswer | null
  /** Why `value` is null for a version with a value model: the customer has no purchase day up to asOf (cancellations only). */
  valueReason?: 'no-purchase-days'
  rfm: RfmAnswer | null
}

const withReason = (v: Pick<Prediction, 'value' | 'rfm'>): Pick<Prediction, 'value' | 'rfm' | 'valueReason'> =>
  v.value === null ? { ...v, valueReason: 'no-purchase-days' } : v

export type PredictInput = { customerId: string } | { features: Record<string, unknown> } | { transactions: Record<string, unknown>[] }

function answer(m: ServedModel, customerId: string | null, segment: number, distances: number[], features: Record<string, number>, bought: Iterable<string>, value: Pick<Prediction, 'value' | 'rfm' | 'valueReason'> = { value: null, rfm: null }): Prediction {
  const s = m.bundle.segments[segment]!
  return {
    customerId,
    modelVersion: m.version,
    segment: { id: s.id, name: s.name ?? `Segment ${s.id}`, description: s.description ?? '' },
    distances,
    features,
    recommendations: recommendProducts(s.topProducts ?? [], bought, DEFAULT_RECOMMENDATIONS),
    ...value,
  }
}

/** A served model's value options (its defaults unless the query sets them). */
export function optionsFor(m: ServedModel, q: { horizonDays?: number; discountRate?: number } = {}): ValueOptions {
  return valueOptions(m.value?.model, q)
}

const atDefaults = (m: ServedModel, o?: ValueOptions) => o === undefined || !m.value || isDefault(m.value.model, o)

export function predictById(m: ServedModel, customerId: string, o?: ValueOptions): Prediction {
  const i = m.index.get(customerId)
  if (i === undefined) throw new HttpProblem(404, 'Unknown customer', `customer ${customerId} is not in the training data of model version ${m.version}; send their transactions instead`)
  const p = (m.answers[i] ??= buildById(m, customerId, i)) as Prediction
  // Another horizon or rate: the memoized answer with the value recomputed from the stored summary.
  return atDefaults(m, o) ? p : { ...p, value: valueOfRow(m.value!, i, o!) }
}

/** predictById as JSON text, serialized once per customer and version (at the default horizon and rate). */
export function predictByIdJson(m: ServedModel, customerId: string, o?: ValueOptions): string {
  const p = predictById(m, customerId, o)
  if (!atDefaults(m, o)) return JSON.stringify(p)
  const i = m.index.get(customerId)!
  return (m.answersJson[i] ??= JSON.stringify(p))
}

function buildById(m: ServedModel, customerId: string, i: number): Prediction {
  const k = m.bundle.segments.length
  const d = m.bundle.features.length
  const features: Record<string, number> = {}
  m.bundle.features.forEach((f, j) => { features[f] = m.features[i * d + j]! })
  const v = m.value
  const value = v ? withReason({ value: valueOfRow(v, i, optionsFor(m)), rfm: rfmOfRow(v, i) }) : undefined
  return answer(m, customerId, m.segment[i]!, Array.from(m.distances.subarray(i * k, (i + 1) * k)), features, m.products[i]!, value)
}

/** The raw features the model reads (its recipe's columns that feed the distance). */
export function requiredFeatures(m: ServedModel): string[] {
  return m.bundle.inputs.map((i) => m.bundle.features[i]!)
}

export function predictByFeatures(m: ServedModel, given: Record<string, unknown>): Prediction {
  const errors: FieldError[] = []
  const features: Record<string, number> = {}
  for (const f of requiredFeatures(m)) {
    const v = given[f]
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push({ path: `features.${f}`, message: v === undefined ? 'is required' : 'must be a finite number' })
    else features[f] = v
  }
  if (errors.length > 0) throw new HttpProblem(400, 'Bad Request', `model version ${m.version} (${m.bundle.recipe} recipe) needs these features: ${requiredFeatures(m).join(', ')}`, errors)
  const scored = scoreFeatures(m.bundle, features)
  return answer(m, null, scored.segment, scored.distances, features, [])
}

/** Rows of a request body, keyed by upload column names (either UCI spelling, any case). */
export function parseTransactionRows(rows: Record<string, unknown>[]): Transaction[] {
  const header = Object.keys(rows[0] ?? {})
  const cols = resolveColumns(header)
  const errors: FieldError[] = []
  const lines: Transaction[] = []
  rows.forEach((row, i) => {
    const cells = header.map((h) => row[h] as Cell)
    const line = toLine(cells, cols, i + 1)
    if (typeof line === 'string') errors.push({ path: `transactions[${i}]`, message: line })
    else lines.push(line)
  })
  if (errors.length > 0) throw new HttpProblem(400, 'Bad Request', `${errors.length} transaction row(s) could not be read`, errors.slice(0, 100))
  return lines
}

export function predictByTransactions(m: ServedModel, rows: Record<string, unknown>[], o: ValueOptions = optionsFor(m)): Prediction {
  if (rows.length === 0) throw new HttpProblem(400, 'Bad Request', 'transactions is empty', [{ path: 'transactions', message: 'needs at least one row' }])
  const lines = parseTransactionRows(rows)
  const ids = new Set(lines.map((l) => l.customerId))
  if (ids.size > 1) throw new HttpProblem(400, 'Bad Request', 'the transactions belong to more than one customer; send one customer per item')
  const [given] = ids
  // A customer without an id (a guest) would be dropped by cleaning rule 1; score them under a placeholder.
  const customerId = given ?? 'new-customer'
  const named = lines.map((l) => ({ ...l, customerId }))
  const table = featurizeTransactions(named, m.bundle.recipe, m.bundle.referenceDate)
  if (table.customerIds.length === 0) {
    throw new HttpProblem(422, 'Nothing left after cleaning', 'every row was removed by the cleaning rules (no description, a non-product stock code, or a zero price)')
  }
  const d = table.features.length
  const raw = table.values.subarray(0, d)
  const scored = scoreFeatures(m.bundle, raw)
  const features: Record<string, number> = {}
  table.features.forEach((f, j) => { features[f] = raw[j]! })
  const bought = lines.filter((l) => !l.invoiceNo.startsWith('C')).map((l) => l.stockCode)
  const value = m.value ? withReason(valueOfTransactions(m.value.model, named, o)) : undefined
  return answer(m, given ?? null, scored.segment, scored.distances, features, bought, value)
}

export function predict(m: ServedModel, input: PredictInput, o?: ValueOptions): Prediction {
  if ('customerId' in input) return predictById(m, input.customerId, o)
  if ('features' in input) return predictByFeatures(m, input.features)
  return predictByTransactions(m, input.transactions, o)
}
