// The one training entry, for the job, the CLI (scripts/train.ts) and the benchmark
// (bench/train.ts): features (stored per dataset, or built from transaction batches in customer
// order) → the recipe's table → the pipeline's `train` → each segment's name, profile and top
// products.
import type { Database } from '../db/database.ts'
import { featuresOf } from '../datasets/features-store.ts'
import type { ModelBundle } from '../pipeline/bundle.ts'
import { buildFeatures, recipeTable, type BuildResult } from '../pipeline/features.ts'
import { train, type TrainResult } from '../pipeline/train.ts'
import type { FeatureTable, Transaction } from '../pipeline/types.ts'
import { annotateSegments } from './annotate.ts'
import type { ModelParams, TrainingParams } from './params.ts'

export interface Training {
  build: BuildResult
  /** The recipe's feature table the model was trained on. */
  table: FeatureTable
  result: TrainResult
}

export type StageFn = (stage: string, progress: number) => Promise<void>

export interface TrainingHooks {
  /** The active model: segment ids are matched to it (same recipe only). */
  previous?: ModelBundle
  /** Called at each stage boundary (a job reports progress and checks for a cancel there). */
  stage?: StageFn
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
export async function runTraining(from: TransactionBatches, params: ModelParams, hooks?: TrainingHooks): Promise<Training>
export async function runTraining(from: Database | TransactionBatches, params: ModelParams & { datasetIds?: readonly string[] }, hooks: TrainingHooks = {}): Promise<Training> {
  const build = 'batches' in from ? await buildFeatures(from.batches, { guestRows: from.guestRows ?? 0 }) : await featuresOf(from, params.datasetIds ?? [])
  return trainOnFeatures(build, params, hooks)
}

/** Trains on features already built (both recipes' tables, cleaning counts, baskets). */
export async function trainOnFeatures(build: BuildResult, params: ModelParams, hooks: TrainingHooks = {}): Promise<Training> {
  const table = recipeTable(build, params.recipe)
  const customers = table.customerIds.length
  const minK = params.k === 'auto' ? params.kRange[0] : params.k
  if (customers < Math.max(10, minK * 2)) {
    throw new TooLittleData(`${customers} customers survive cleaning; at least ${Math.max(10, minK * 2)} are needed for k = ${params.k}`)
  }
  // The baskets follow the tables' row order; the recommendations rely on it.
  if (build.baskets.customerIds.length !== customers || build.baskets.customerIds.some((id, i) => id !== table.customerIds[i])) {
    throw new Error('baskets and feature table disagree on customer order')
  }
  await hooks.stage?.('modelling', 0.4)
  const { recipe, k, kRange, seed } = params
  // Matching segment ids to the active model only makes sense within one recipe.
  const previous = hooks.previous?.recipe === recipe ? hooks.previous : undefined
  const result = train({ table, yardstick: recipeTable(build, 'original'), annotate: annotateSegments(build.baskets) }, { recipe, k, kRange, seed, previous })
  return { build, table, result }
}
