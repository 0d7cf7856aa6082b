// Drift of new data against the training data of a model: a dataset's customers, or the
// predictions logged over a recent window. POST /drift/check can queue a retrain when it drifts.
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { featuresOf } from '../datasets/features-store.ts'
import { compareToReference, type DriftComparison, type ModelReference } from '../drift/model-reference.ts'
import { HttpProblem } from '../errors.ts'
import { enqueue, type JobView } from '../jobs/queue.ts'
import { recipeTable } from '../pipeline/features.ts'
import type { FeatureTable } from '../pipeline/types.ts'
import type { ServedModel } from '../registry/served.ts'
import type { TrainParams } from '../schemas/jobs.ts'
import { problems } from '../schemas/problem.ts'
import { DEFAULT_K_RANGE, DEFAULT_SEED } from './jobs.ts'

const tags = ['drift']

const DriftQuery = Type.Object({
  datasetId: Type.Optional(Type.String({ format: 'uuid', description: 'Default: the newest dataset' })),
  window: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}[mhd]$', description: 'Compare the predictions logged over this window instead, e.g. 90m, 24h, 7d' })),
  model: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the active model' })),
  threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'p-value (small references) or distance threshold; Evidently defaults otherwise' })),
  psiBins: Type.Optional(Type.Integer({ minimum: 2, maximum: 100, default: 10 })),
  driftShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Share of drifted features at which the dataset counts as drifted' })),
})
type DriftQuery = Static<typeof DriftQuery>

const FeatureDrift = Type.Object({
  feature: Type.String(),
  method: Type.String({ description: 'ks, chisquare, z, wasserstein (normed) or jensenshannon' }),
  statistic: Type.Union([Type.Number(), Type.Null()]),
  pValue: Type.Optional(Type.Number()),
  threshold: Type.Number(),
  drifted: Type.Boolean(),
  psi: Type.Number(),
  psiBand: Type.String({ description: 'none (< 0.1), moderate (< 0.25) or significant' }),
})

const DriftResponse = Type.Object({
  modelVersion: Type.Integer(),
  source: Type.Object({ datasetId: Type.Optional(Type.String()), window: Type.Optional(Type.String()) }),
  referenceSize: Type.Integer(),
  currentSize: Type.Integer(),
  regime: Type.String({ description: 'tests (reference ≤ 1,000 customers) or distances' }),
  features: Type.Array(FeatureDrift),
  driftShare: Type.Number(),
  driftShareThreshold: Type.Number(),
  datasetDrift: Type.Boolean(),
  segments: Type.Unknown({ description: 'Shift of segment shares: chi-squared and Jensen-Shannon between training and current assignments' }),
  fit: Type.Unknown({ description: 'Distance to the nearest centroid, and PCA reconstruction error where the model has a PCA: current mean against the training mean ± 3 sigma' }),
  recommendation: Type.String(),
})

const WINDOW_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const

async function referenceOf(app: FastifyInstance, version: number): Promise<ModelReference> {
  const rows = await app.db.query<{ reference: ModelReference | null }>('SELECT reference FROM model_versions WHERE version = $1', [version])
  const reference = rows[0]?.reference
  if (!reference) throw new HttpProblem(409, 'No reference distribution', `model version ${version} was trained before drift monitoring existed; train a new version to compare against`)
  return reference
}

async function datasetTable(app: FastifyInstance, m: ServedModel, datasetId: string | undefined): Promise<{ table: FeatureTable; datasetId: string }> {
  const id = datasetId ?? (await app.db.prisma.dataset.findFirst({ orderBy: { createdAt: 'desc' }, select: { id: true } }))?.id
  if (!id) throw new HttpProblem(422, 'No data', 'there is no dataset to compare: upload one with POST /datasets')
  if (!(await app.db.prisma.dataset.findUnique({ where: { id }, select: { id: true } }))) throw new HttpProblem(404, 'Not Found', `dataset ${id} does not exist`)
  const build = await featuresOf(app.db, [id])
  const table = recipeTable(build, m.bundle.recipe)
  if (table.customerIds.length === 0) throw new HttpProblem(422, 'No data', `no customer of dataset ${id} survives cleaning`)
  return { table, datasetId: id }
}

async function windowTable(app: FastifyInstance, m: ServedModel, window: string): Promise<FeatureTable> {
  const ms = Number(window.slice(0, -1)) * WINDOW_MS[window.slice(-1) as keyof typeof WINDOW_MS]
  const rows = await app.db.query<{ features: number[] }>(
    `SELECT features FROM prediction_log WHERE model_version = $1 AND at > now() - make_interval(secs => $2::float8 / 1000)`, [m.version, ms])
  if (rows.length === 0) throw new HttpProblem(422, 'No data', `no prediction of model version ${m.version} was logged in the last ${window} (PREDICTION_LOG_SAMPLE sets the share logged)`)
  const d = m.bundle.features.length
  const values = new Float64Array(rows.length * d)
  rows.forEach((r, i) => r.features.forEach((v, j) => { values[i * d + j] = v ?? NaN }))
  return { recipe: m.bundle.recipe, recipeVersion: m.bundle.recipeVersion, features: m.bundle.features, customerIds: rows.map((_, i) => `p${i}`), values, referenceDate: m.bundle.referenceDate }
}

async function drift(app: FastifyInstance, q: DriftQuery): Promise<{ comparison: DriftComparison; m: ServedModel; source: { datasetId?: string; window?: string } }> {
  if (q.window && q.datasetId) throw new HttpProblem(400, 'Bad Request', 'give datasetId or window, not both')
  const m = await app.models.get(q.model)
  const reference = await referenceOf(app, m.version)
  let table: FeatureTable
  let source: { datasetId?: string; window?: string }
  if (q.window) {
    table = await windowTable(app, m, q.window)
    source = { window: q.window }
  } else {
    const d = await datasetTable(app, m, q.datasetId)
    table = d.table
    source = { datasetId: d.datasetId }
  }
  const comparison = compareToReference(reference, m.bundle, table, { threshold: q.threshold, psiBins: q.psiBins, driftShare: q.driftShare })
  return { comparison, m, source }
}

function view(r: Awaited<ReturnType<typeof drift>>) {
  const { report } = r.comparison
  return {
    modelVersion: r.m.version,
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

const CheckBody = Type.Object(
  {
    datasetId: Type.Optional(Type.String({ format: 'uuid' })),
    retrainOnDrift: Type.Optional(Type.Boolean({ default: false, description: 'Queue a retrain on the model\'s datasets plus this one when the data drifted' })),
    activate: Type.Optional(Type.Union([Type.Literal('if-better'), Type.Literal('always'), Type.Literal('never')], { default: 'if-better' })),
  },
  { additionalProperties: false },
)

export default async function driftRoutes(app: FastifyInstance) {
  app.get<{ Querystring: DriftQuery }>(
    '/drift',
    {
      schema: {
        tags,
        summary: "Drift of a dataset (or of recent predictions) against the model's training data",
        querystring: DriftQuery,
        response: { 200: DriftResponse, ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => view(await drift(app, request.query)),
  )

  app.post<{ Body: Static<typeof CheckBody> }>(
    '/drift/check',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Check a dataset for drift and, if asked, queue a retrain when it drifted',
        body: CheckBody,
        response: { 200: Type.Object({ drift: DriftResponse, retrain: Type.Union([Type.Ref('Job'), Type.Null()]), reason: Type.String() }), ...problems(400, 404, 409, 422) },
      },
    },
    async (request) => {
      const body = request.body ?? {}
      const r = await drift(app, { datasetId: body.datasetId })
      const drifted = r.comparison.report.datasetDrift || r.comparison.segments.shifted
      let retrain: JobView | null = null
      let reason = drifted ? 'drift found' : 'no drift: nothing to do'
      if (drifted && body.retrainOnDrift) {
        const model = await app.db.prisma.modelVersion.findUniqueOrThrow({ where: { version: r.m.version }, select: { datasets: true } })
        const ids = (model.datasets as { id: string }[]).map((d) => d.id)
        const existing = new Set((await app.db.prisma.dataset.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((d) => d.id))
        const datasetIds = [...new Set([...ids.filter((id) => existing.has(id)), r.source.datasetId!])]
        // TrainParams (schemas/jobs.ts) still spells the original recipe by its alias `seed` until
        // the issue-13 merge makes it RecipeName; then this is just r.m.bundle.recipe.
        const recipe = r.m.bundle.recipe === 'original' ? 'seed' : 'default'
        const params: TrainParams = { datasetIds, recipe, k: 'auto', kRange: DEFAULT_K_RANGE, seed: DEFAULT_SEED, activate: body.activate ?? 'if-better' }
        retrain = (await enqueue(app.db, params)).job
        reason = `drift found: retrain queued on ${datasetIds.length} dataset(s)`
      } else if (drifted) reason = 'drift found; retrainOnDrift was not set'
      return { drift: view(r), retrain, reason }
    },
  )
}
