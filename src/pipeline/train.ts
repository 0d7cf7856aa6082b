// Training: FeatureTable → model bundle + assignments + report, following the recipe's ModelSpec,
// in named steps (one file each): fit outliers (train-outliers.ts) → transforms → embedding
// (PCA, train-embed.ts) → choose k → fit (train-k.ts) → order and match ids (train-ids.ts) →
// assign (train-assign.ts) → evaluate (train-evaluate.ts) → report (train-report.ts).
// Pure and deterministic: the same table, params and seed give a bit-identical bundle.
import { takeRows } from './linalg.ts'
import { modelSpecFor } from './model-spec.ts'
import { recipeId } from './recipe-id.ts'
import { annotateBundle, type ModelBundle } from './bundle.ts'
import { fitOutliers, fitRows, flagOutliers, transformRows } from './train-outliers.ts'
import { embedTable, embeddingBundle, fitEmbedding, fitModelTransforms } from './train-embed.ts'
import { cluster, selectKOptions } from './train-k.ts'
import { clustersByValue, matchToPrevious, orderCentroids, segmentIds } from './train-ids.ts'
import { assignRows } from './train-assign.ts'
import { evaluateModel, logRfmSilhouette } from './train-evaluate.ts'
import { stopwatch, trainReport } from './train-report.ts'
import { columns, type TrainInput, type TrainOptions, type TrainResult } from './train-types.ts'

export type { AnnotateContext, ModelParams, TrainInput, TrainMetrics, TrainOptions, TrainReport, TrainResult } from './train-types.ts'

export function train(input: TrainInput, params: TrainOptions): TrainResult {
  const clock = stopwatch()
  const { table } = input
  const spec = params.spec ?? modelSpecFor(params.recipe)
  if (recipeId(table.recipe) !== spec.recipe) throw new RangeError(`a ${table.recipe} feature table cannot train the ${spec.recipe} model`)
  const seed = params.seed ?? 0
  const n = table.customerIds.length

  const x = columns(table, spec.inputs)
  const found = fitOutliers(x, spec.outliers, seed)
  clock.lap('outliers')
  const transforms = fitModelTransforms(spec, x, transformRows(found))
  const pca = fitEmbedding(spec, transforms)
  clock.lap('transforms+pca')

  const proto = embeddingBundle(spec, table, transforms, pca, found.rule, seed)
  const m = embedTable(proto, table)
  const outliers = flagOutliers(found, spec.outliers, transforms.params, x, transforms.modelColumns)
  const rows = fitRows(outliers, spec.fitWithoutFlagged)
  const mFit = rows.fit.length === n ? m : takeRows(m, rows.fit)
  const mMetric = rows.metric.length === rows.fit.length ? mFit : rows.metric.length === n ? m : takeRows(m, rows.metric)
  clock.lap('embed')

  const clustering = cluster(mFit, params.k ?? spec.kmeans.k, selectKOptions(spec.kmeans, params.kRange ?? spec.kmeans.kRange, seed), mMetric === mFit ? undefined : mMetric)
  const { fit } = clustering
  clock.lap('kmeans+selection')

  const orderCol = columns(table, [spec.orderBy]).data
  const previousIds = params.previous ? matchToPrevious(params.previous, table, rows.fit, fit.labels, fit.k) : null
  const idOf = segmentIds(clustersByValue(m, fit, orderCol), previousIds)
  const ordered = orderCentroids(fit, idOf, m.cols)
  const assignment = assignRows(m, ordered, idOf, orderCol, rows.fit)
  const matchedToPrevious = previousIds !== null
  // Segment id → the previous model's segment it continues (null: a new segment, no counterpart).
  const counterparts = Array.from({ length: fit.k }, (_, id) => (previousIds ? (previousIds[idOf.indexOf(id)] ?? null) : null))
  let bundle: ModelBundle = {
    ...proto,
    centroids: ordered.clusterOfSlot.map((_, s) => Array.from(ordered.centroids.subarray(s * m.cols, (s + 1) * m.cols))),
    labelOrder: { by: spec.orderBy, direction: 'desc', matchedToPrevious },
    outliers: outliers.rule,
    training: { seed, k: fit.k, customers: n, fittedCustomers: rows.fit.length, kSelection: clustering.kSelection },
    segments: assignment.segments,
  }
  clock.lap('assign')

  const logRfm = logRfmSilhouette(input.yardstick ?? table, table, assignment.assignments, m, !outliers.dropped, clustering.chosen.silhouette, seed)
  const metrics = evaluateModel(clustering.chosen, logRfm)
  clock.lap('metrics')
  if (input.annotate) bundle = annotateBundle(bundle, input.annotate({ table, assignments: assignment.assignments, bundle }))
  clock.total('total')

  const report = trainReport({ spec, customers: n, clustering, metrics, pca, outliers: outliers.rule, dropped: outliers.dropped, rows, assignment, matchedToPrevious, counterparts, timingsMs: clock.timingsMs })
  return { bundle, assignments: assignment.assignments, distances: assignment.distances, outliers: outliers.flags, report }
}

/** The former name of `train`. */
export const trainModel = train
