// POST /predict/customers' answer: up to 10,000 predictions in request order, an item that fails
// carrying its error inline. Each item is JSON text: a known customer's answer is already
// serialized per model version, so the batch is joined from those strings rather than
// stringified again (9 MB for 10,000 ids: 50 ms saved, bench/predict.ts).
import { HttpProblem } from '../errors.ts'
import type { ServedModel } from '../registry/served.ts'
import { predict, predictByIdJson, type Prediction, type PredictInput } from './predict.ts'
import type { ValueOptions } from './value.ts'

export interface BatchAnswer {
  /** `{"modelVersion":…,"predictions":[…]}` */
  json: string
  /** Predictions per segment id (for the metrics: counted once per batch, not once per item). */
  perSegment: Map<number, number>
}

/**
 * Predicts every item; `seen` is called with each successful prediction (the prediction log
 * samples them). `o`: the value's horizon and discount rate (default: the version's).
 */
export function predictBatch(m: ServedModel, items: readonly PredictInput[], seen: (p: Prediction) => void, o?: ValueOptions): BatchAnswer {
  const perSegment = new Map<number, number>()
  const parts = items.map((item) => {
    try {
      const p = predict(m, item, o)
      seen(p)
      perSegment.set(p.segment.id, (perSegment.get(p.segment.id) ?? 0) + 1)
      return 'customerId' in item ? predictByIdJson(m, item.customerId, o) : JSON.stringify(p)
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err
      return JSON.stringify({ customerId: 'customerId' in item ? item.customerId : null, error: { status: err.status, title: err.title, detail: err.detail } })
    }
  })
  return { json: `{"modelVersion":${m.version},"predictions":[${parts.join(',')}]}`, perSegment }
}
