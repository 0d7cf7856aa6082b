// The one training entry, for the job, the CLI (scripts/train.ts) and the benchmark
// (bench/train.ts): features (the datasets' stored aggregates merged, or built from transaction
// batches in customer order) → the recipe's table → the pipeline's `train` → each segment's name, profile and top
// products.
import type { Database } from '../db/database.ts'
import { featuresOf } from '../datasets/features-store.ts'
import { storedFeatures, type FanOut } from './aggregates.ts'
import type { ModelBundle } from '../pipeline/bundle.ts'
import { buildFeatures, recipeTable, type BuildResult } from '../pipeline/features.ts'
import { train, type TrainResult } from '../pipeline/train.ts'
import type { FeatureTable, Transaction } from '../pipeline/types.ts'
import { annotateSegments } from './annotate.ts'
import { trainInModelThread } from './model-thread.ts'
import type { ModelParams, TrainingParams, ValueParams } from './params.ts'
import { countGuestRows, readTransactions } from '../datasets/read.ts'
import { InvalidWindow, trainValue, valueWindow as windowOf, type ValueWindow } from './value.ts'
import type { ValueResult } from '../value/model.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { rowsFrom, windowStartDay } from './window.ts'

export interface Training {
  build: BuildResult
  /** The recipe's feature table the model was trained on. */
  table: FeatureTable
  result: TrainResult
  /** The value model (src/value/model.ts); null for a build without purchase days. */
  value: ValueResult | null
  /** The calibration end and holdout the value model used. */
  window: ValueWindow
}

export type StageFn = (stage: string, progress: number) => Promise<void>

export interface TrainingHooks {
  /** The active model: segment ids are matched to it (same recipe only). */
  previous?: ModelBundle
  /** Called at each stage boundary (a job reports progress and checks for a cancel there). */
  stage?: StageFn
  /**
   * The merge of stored aggregates fans out as merge-range jobs (training/merge-fan-out.ts): only
   * a standalone worker process's training passes it (it needs pg-boss on the main thread).
   */
  fanOut?: FanOut
  /**
   * The pipeline's train runs in a thread of its own (model-thread.ts), so this thread's event loop
   * keeps turning meanwhile: a standalone worker's, whose job heartbeat is a timer on it. Aborting
   * `signal` ends the thread.
   */
  modelThread?: { signal?: AbortSignal }
}

/** Transaction batches grouped by customer (see datasets/read.ts), e.g. a file read by the CLI. */
export interface TransactionBatches {
  batches: AsyncIterable<Transaction[]> | Iterable<Transaction[]>
  /** Rows without a customer id that were not sent (cleaning rule 1 counts them). */
  guestRows?: number
}

export class TooLittleData extends Error {}

/**
 * Rows in the order the database sends them (datasets/read.ts): by customer id, guests last, file
 * order within a customer (a stable sort). For training on a file read into memory.
 */
export function inCustomerOrder(rows: readonly Transaction[]): Transaction[] {
  const order = rows.map((_, i) => i).sort((a, b) => {
    const x = rows[a]!.customerId
    const y = rows[b]!.customerId
    if (x === y) return a - b
    if (x === null) return 1
    if (y === null) return -1
    return x < y ? -1 : 1
  })
  return order.map((i) => rows[i]!)
}

/** Trains on stored datasets (`params.datasetIds`), or on transaction batches. */
export async function runTraining(db: Database, params: TrainingParams, hooks?: TrainingHooks): Promise<Training>
export async function runTraining(from: TransactionBatches, params: ModelParams & ValueParams, hooks?: TrainingHooks): Promise<Training>
export async function runTraining(from: Database | TransactionBatches, params: ModelParams & ValueParams & { datasetIds?: readonly string[] }, hooks: TrainingHooks = {}): Promise<Training> {
  if ('batches' in from) {
    // One pass over batches: asOf must be known before it (holdoutDays alone needs the data's end).
    if (params.holdoutDays !== undefined && params.asOf === undefined) throw new TooLittleData('training on transaction batches: give asOf with holdoutDays')
    if (params.window !== undefined && params.asOf === undefined) throw new TooLittleData('training on transaction batches: give asOf with window')
    const asOf = params.asOf === undefined ? undefined : Date.parse(`${params.asOf}T00:00:00Z`)
    const batches = params.window === undefined ? from.batches : rowsFrom(from.batches, windowStartDay(dayOf(asOf!), params.window))
    const build = await buildFeatures(batches, { guestRows: from.guestRows ?? 0, asOf })
    return trainOnFeatures(build, params, hooks, valueWindow(build, params))
  }
  const ids = params.datasetIds ?? []
  // The datasets' stored aggregates, merged (training/aggregates.ts): no pass over the rows, for
  // any datasets, asOf or window.
  const { build, window } = await storedBuild(from, ids, params, hooks)
  return trainOnFeatures(build, params, hooks, window)
}

/**
 * The features a training on stored datasets models. Its own function so that what only the
 * merge needs (the stored aggregates' bytes, every day's build when a window is modelled) is
 * garbage once it returns, not held through the modelling (270 MB at ten x10 datasets).
 */
async function storedBuild(from: Database, ids: readonly string[], params: ValueParams, hooks: TrainingHooks): Promise<{ build: BuildResult; window: ValueWindow }> {
  const stored = await storedFeatures(from, ids, { fanOut: hooks.fanOut })
  try {
    const full = stored?.full ?? (await featuresOf(from, ids))
    const window = valueWindow(full, params)
    const { fromDay } = window
    if (window.asOfDay === window.lastDay && full.purchaseDays && fromDay === undefined) return { build: full, window }
    // Features as of another day than the data's last, or over a rolling window: a merge of the
    // window's days, or (datasets without aggregates) one more pass over the window's rows.
    const build = stored
      ? await stored.windowed(window.asOfDay, fromDay)
      : await buildFeatures(readTransactions(from, ids, fromDay), { guestRows: await countGuestRows(from, ids, fromDay), asOf: window.asOfDay * 86_400_000 })
    return { build, window }
  } finally {
    stored?.release()
  }
}

function valueWindow(build: BuildResult, params: ValueParams): ValueWindow {
  try {
    return windowOf(build, params)
  } catch (err) {
    throw err instanceof InvalidWindow ? new TooLittleData(err.message) : err
  }
}

/** The fewest customers a training takes: ten, and two per segment of the smallest k tried. */
export function minimumCustomers(params: Pick<ModelParams, 'k' | 'kRange'>): number {
  return Math.max(10, (params.k === 'auto' ? params.kRange[0] : params.k) * 2)
}

/** Trains on features already built (both recipes' tables, cleaning counts, baskets, purchase days). */
export async function trainOnFeatures(build: BuildResult, params: ModelParams, hooks: TrainingHooks = {}, window: ValueWindow = valueWindow(build, {})): Promise<Training> {
  const table = recipeTable(build, params.recipe)
  const customers = table.customerIds.length
  if (customers < minimumCustomers(params)) {
    throw new TooLittleData(`${customers} customers survive cleaning; at least ${minimumCustomers(params)} are needed for k = ${params.k}`)
  }
  // The baskets follow the tables' row order; the recommendations rely on it.
  if (build.baskets.customerIds.length !== customers || build.baskets.customerIds.some((id, i) => id !== table.customerIds[i])) {
    throw new Error('baskets and feature table disagree on customer order')
  }
  await hooks.stage?.('modelling', 0.4)
  const { recipe, k, kRange, seed } = params
  // Matching segment ids to the active model only makes sense within one recipe.
  const previous = hooks.previous?.recipe === recipe ? hooks.previous : undefined
  const yardstick = recipeTable(build, 'original')
  const options = { recipe, k, kRange, seed, previous }
  const result = hooks.modelThread
    ? await trainInModelThread({ table, yardstick, baskets: build.baskets, options }, hooks.modelThread.signal)
    : train({ table, yardstick, annotate: annotateSegments(build.baskets) }, options)
  await hooks.stage?.('value', 0.8)
  const started = performance.now()
  const value = trainValue(build, window)
  // Beside the model's own step timings (the value budget: ≤ 0.3 s at x1, ≤ 3 s at x10).
  result.report.timingsMs.value = performance.now() - started
  return { build, table, result, value, window }
}
