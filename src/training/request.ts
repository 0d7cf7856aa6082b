// POST /train's body → the params a job runs with: the datasets checked (default: every one, in
// upload order), the model fields resolved by `modelParams`, the activation policy defaulted, and
// a rolling window checked against the stored rows.
import type { Database } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import { UnknownRecipe } from '../pipeline/recipe-id.ts'
import type { TrainBody, TrainParams } from '../schemas/jobs.ts'
import { InvalidParams, modelParams } from './params.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { minimumCustomers } from './train.ts'
import { windowView, type WindowSpec } from './window.ts'

async function datasetIdsOf(db: Database, requested: readonly string[] | undefined): Promise<string[]> {
  const known = await db.prisma.dataset.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } })
  if (!requested) return known.map((d) => d.id)
  const ids = new Set(known.map((d) => d.id))
  const missing = requested.filter((id) => !ids.has(id))
  if (missing.length > 0) {
    throw new HttpProblem(422, 'Unknown datasets', `no dataset with id ${missing.join(', ')}`, missing.map((id) => ({ path: 'body.datasetIds', message: `unknown dataset ${id}` })))
  }
  return [...new Set(requested)]
}

/** Every default resolved; 422 for unknown or no datasets or a window with too few customers, 400 for a bad kRange, asOf, holdoutDays or window. */
export async function trainParams(db: Database, body: TrainBody): Promise<TrainParams> {
  const datasetIds = await datasetIdsOf(db, body.datasetIds)
  if (datasetIds.length === 0) throw new HttpProblem(422, 'No data', 'there is no dataset to train on: upload one with POST /datasets first')
  let params: TrainParams
  try {
    params = { datasetIds, ...modelParams(body), activate: body.activate ?? 'if-better' }
  } catch (err) {
    if (err instanceof InvalidParams) {
      const field = /^asOf/.test(err.message) ? 'asOf' : /^holdoutDays/.test(err.message) ? 'holdoutDays' : /^window/.test(err.message) ? 'window' : 'kRange'
      throw new HttpProblem(400, 'Bad Request', err.message, [{ path: `body.${field}`, message: field === 'kRange' ? 'min > max' : err.message }])
    }
    // The schema only lets recipe ids and aliases through; this is for a caller that skips it.
    if (err instanceof UnknownRecipe) throw new HttpProblem(400, 'Bad Request', err.message, [{ path: 'body.recipe', message: 'unknown recipe' }])
    throw err
  }
  if (params.window) await checkWindowData(db, params, params.window)
  return params
}

const day = (iso: string) => dayOf(Date.parse(`${iso}T00:00:00Z`))

/**
 * 422 when the window holds fewer customers than a training needs. Counted on the stored rows
 * (asOf by default the last day with a customer's invoice, less holdoutDays): a necessary
 * condition, since cleaning can remove more; a training that still falls short fails its job.
 */
async function checkWindowData(db: Database, params: TrainParams, window: WindowSpec): Promise<void> {
  const [range] = await db.query<{ last: string | null }>(
    "SELECT to_char(max(invoice_date), 'YYYY-MM-DD') AS last FROM transactions WHERE dataset_id = ANY($1::uuid[]) AND customer_id IS NOT NULL", [params.datasetIds])
  if (!range?.last) throw new HttpProblem(422, 'No data', 'the datasets hold no invoice with a customer id')
  const asOfDay = params.asOf !== undefined ? day(params.asOf) : day(range.last) - (params.holdoutDays ?? 0)
  const { from, to } = windowView(window, asOfDay)
  const [n] = await db.query<{ customers: number }>(
    `SELECT count(DISTINCT customer_id)::int AS customers FROM transactions
      WHERE dataset_id = ANY($1::uuid[]) AND customer_id IS NOT NULL AND invoice_date >= $2::timestamp AND invoice_date < $3::timestamp + interval '1 day'`,
    [params.datasetIds, from, to])
  const need = minimumCustomers(params)
  if (n!.customers < need) {
    const detail = `the window ${JSON.stringify(window)} (${from} to ${to}) holds invoices of ${n!.customers} customers; a training with k = ${params.k} needs at least ${need}`
    throw new HttpProblem(422, 'Too little data in the window', detail, [{ path: 'body.window', message: `${n!.customers} customers from ${from} to ${to}` }])
  }
}
