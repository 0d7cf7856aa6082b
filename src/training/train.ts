// Training from stored datasets: transactions stream out of the database in customer order,
// one pass builds both recipes' features, the pipeline fits the model, and each segment gets its
// name, profile and top products. Used by the job worker and by scripts/train.ts.
import type { Database } from '../db/database.ts'
import { featuresOf } from '../datasets/features-store.ts'
import { annotationsFrom, type ModelBundle } from '../pipeline/bundle.ts'
import { buildFeatures, type BuildResult } from '../pipeline/features.ts'
import { nameSegments } from '../pipeline/names.ts'
import { profileSegments } from '../pipeline/profiles.ts'
import { topProductsBySegment } from '../pipeline/recommend.ts'
import { trainModel, type TrainResult } from '../pipeline/train.ts'
import type { FeatureTable, RecipeName, Transaction } from '../pipeline/types.ts'

export interface TrainingParams {
  recipe: RecipeName
  k: number | 'auto'
  kRange: [number, number]
  seed: number
}

export interface Training {
  build: BuildResult
  /** The recipe's feature table the model was trained on. */
  table: FeatureTable
  result: TrainResult
}

export type StageFn = (stage: string, progress: number) => Promise<void>

/** Trains on transaction batches grouped by customer (see datasets/read.ts). */
export async function trainOnBatches(
  batches: AsyncIterable<Transaction[]> | Iterable<Transaction[]>,
  params: TrainingParams,
  previous: ModelBundle | undefined,
  stage: StageFn = async () => {},
  guestRows = 0,
): Promise<Training> {
  return trainOnBuild(await buildFeatures(batches, { guestRows }), params, previous, stage)
}

/** Trains on features already built (both recipes' tables, cleaning counts, baskets). */
export async function trainOnBuild(build: BuildResult, params: TrainingParams, previous: ModelBundle | undefined, stage: StageFn = async () => {}): Promise<Training> {
  const table = params.recipe === 'seed' ? build.seed : build.default
  const customers = table.customerIds.length
  const minK = params.k === 'auto' ? params.kRange[0] : params.k
  if (customers < Math.max(10, minK * 2)) {
    throw new TooLittleData(`${customers} customers survive cleaning; at least ${Math.max(10, minK * 2)} are needed for k = ${params.k}`)
  }
  // The baskets follow the tables' row order; the recommendations below rely on it.
  if (build.baskets.customerIds.length !== customers || build.baskets.customerIds.some((id, i) => id !== table.customerIds[i])) {
    throw new Error('baskets and feature table disagree on customer order')
  }
  await stage('modelling', 0.4)
  const result = trainModel(
    {
      table,
      yardstick: build.seed,
      annotate: ({ assignments, bundle }) =>
        annotationsFrom(
          bundle.segments.map((s) => s.id),
          {
            names: nameSegments(table, assignments, { k: bundle.segments.length }),
            profiles: profileSegments(table, assignments, bundle.segments.length),
            topProducts: topProductsBySegment(build.baskets, assignments, { k: bundle.segments.length }),
          },
        ),
    },
    {
      recipe: params.recipe,
      k: params.k,
      kRange: params.kRange,
      seed: params.seed,
      // Matching segment ids to the active model only makes sense within one recipe.
      previous: previous?.recipe === params.recipe ? previous : undefined,
    },
  )
  return { build, table, result }
}

export class TooLittleData extends Error {}

export async function trainFromDatasets(db: Database, datasetIds: readonly string[], params: TrainingParams, previous: ModelBundle | undefined, stage?: StageFn): Promise<Training> {
  return trainOnBuild(await featuresOf(db, datasetIds), params, previous, stage)
}
