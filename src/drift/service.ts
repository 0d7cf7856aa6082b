// GET /drift's service: new data (a dataset's customers, or the predictions logged over a recent
// window) as the model's feature table, compared with the reference stored with the model
// version (model-reference.ts).
import type { Database } from '../db/database.ts'
import { featuresOf } from '../datasets/features-store.ts'
import { storedFeatures } from '../training/aggregates.ts'
import { HttpProblem } from '../errors.ts'
import { recipeTable } from '../pipeline/features.ts'
import type { FeatureTable } from '../pipeline/types.ts'
import type { ModelCache } from '../registry/cache.ts'
import type { ServedModel } from '../registry/served.ts'
import type { DriftQuery } from '../schemas/drift.ts'
import { compareToReference, type DriftComparison, type ModelReference } from './model-reference.ts'

/** Where the served models and the stored data come from. */
export interface DriftDeps {
  db: Database
  models: ModelCache
}

export interface DriftSource {
  datasetId?: string
  window?: string
}

export interface DriftResult {
  comparison: DriftComparison
  model: ServedModel
  source: DriftSource
}

const WINDOW_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const

async function referenceOf(db: Database, version: number): Promise<ModelReference> {
  const rows = await db.query<{ reference: ModelReference | null }>('SELECT reference FROM model_versions WHERE version = $1', [version])
  const reference = rows[0]?.reference
  if (!reference) throw new HttpProblem(409, 'No reference distribution', `model version ${version} was trained before drift monitoring existed; train a new version to compare against`)
  return reference
}

async function datasetTable(db: Database, m: ServedModel, datasetId: string | undefined): Promise<{ table: FeatureTable; datasetId: string }> {
  const id = datasetId ?? (await db.prisma.dataset.findFirst({ orderBy: { createdAt: 'desc' }, select: { id: true } }))?.id
  if (!id) throw new HttpProblem(422, 'No data', 'there is no dataset to compare: upload one with POST /datasets')
  if (!(await db.prisma.dataset.findUnique({ where: { id }, select: { id: true } }))) throw new HttpProblem(404, 'Not Found', `dataset ${id} does not exist`)
  const build = (await storedFeatures(db, [id]))?.full ?? (await featuresOf(db, [id]))
  const table = recipeTable(build, m.bundle.recipe)
  if (table.customerIds.length === 0) throw new HttpProblem(422, 'No data', `no customer of dataset ${id} survives cleaning`)
  return { table, datasetId: id }
}

async function windowTable(db: Database, m: ServedModel, window: string): Promise<FeatureTable> {
  const ms = Number(window.slice(0, -1)) * WINDOW_MS[window.slice(-1) as keyof typeof WINDOW_MS]
  const rows = await db.query<{ features: number[] }>(
    `SELECT features FROM prediction_log WHERE model_version = $1 AND at > now() - make_interval(secs => $2::float8 / 1000)`, [m.version, ms])
  if (rows.length === 0) throw new HttpProblem(422, 'No data', `no prediction of model version ${m.version} was logged in the last ${window} (PREDICTION_LOG_SAMPLE sets the share logged)`)
  const d = m.bundle.features.length
  const values = new Float64Array(rows.length * d)
  rows.forEach((r, i) => r.features.forEach((v, j) => { values[i * d + j] = v ?? NaN }))
  return { recipe: m.bundle.recipe, recipeVersion: m.bundle.recipeVersion, features: m.bundle.features, customerIds: rows.map((_, i) => `p${i}`), values, referenceDate: m.bundle.referenceDate }
}

/** Drift of a dataset (default: the newest) or of a window of logged predictions against a model (default: the active one). */
export async function driftOf({ db, models }: DriftDeps, q: DriftQuery): Promise<DriftResult> {
  if (q.window && q.datasetId) throw new HttpProblem(400, 'Bad Request', 'give datasetId or window, not both')
  const model = await models.get(q.model)
  const reference = await referenceOf(db, model.version)
  let table: FeatureTable
  let source: DriftSource
  if (q.window) {
    table = await windowTable(db, model, q.window)
    source = { window: q.window }
  } else {
    const d = await datasetTable(db, model, q.datasetId)
    table = d.table
    source = { datasetId: d.datasetId }
  }
  const comparison = compareToReference(reference, model.bundle, table, { threshold: q.threshold, psiBins: q.psiBins, driftShare: q.driftShare })
  return { comparison, model, source }
}

/** The answer of GET /drift (and the `drift` of POST /drift/check). */
export function driftView(r: DriftResult) {
  const { report } = r.comparison
  return {
    modelVersion: r.model.version,
    source: r.source,
    referenceSize: report.referenceSize,
    currentSize: report.currentSize,
    regime: report.regime,
    features: report.features,
    driftShare: report.driftShare,
    driftShareThreshold: report.driftShareThreshold,
    datasetDrift: report.datasetDrift,
    segments: r.comparison.segments,
    fit: r.comparison.fit,
    recommendation: r.comparison.recommendation,
  }
}
