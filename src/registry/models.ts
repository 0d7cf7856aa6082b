// The model registry: immutable versions, exactly one active, and an append-only history of
// every change of the active version. Each activation is one transaction.
import type { Database, SqlTx } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import type { ModelVersion } from '../generated/prisma/client.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { windowView, type WindowSpec, type WindowView } from '../training/window.ts'

export const MODEL_CHANNEL = 'model_activated'

export type ModelStatus = 'active' | 'candidate' | 'archived'

export interface ModelMetrics {
  silhouette: number
  calinskiHarabasz: number
  daviesBouldin: number
  inertia: number
  stability: number
  /** Silhouette in log-RFM space: the same yardstick for every recipe (see README). */
  logRfmSilhouette: number
}

export interface ModelView {
  version: number
  status: ModelStatus
  createdAt: string
  recipe: string
  recipeVersion: number
  params: unknown
  datasetIds: string[]
  datasets: { id: string; sha256: string; name: string }[]
  k: number
  customers: number
  metrics: ModelMetrics
  cleaning: unknown
  jobId: string | null
  /** The value model's observation end (YYYY-MM-DD); null for a version trained before it. */
  asOf: string | null
  /** The value model (src/value/model.ts ValueModel); null for a version trained before it. */
  value: unknown
  /** The rolling window the version was trained on, with the days it covered; null: every day up to asOf. */
  window: WindowView | null
}

export function toModelView(m: ModelVersion, activeVersion: number | null): ModelView {
  const datasets = m.datasets as ModelView['datasets']
  return {
    version: m.version,
    status: m.version === activeVersion ? 'active' : m.activatedAt ? 'archived' : 'candidate',
    createdAt: m.createdAt.toISOString(),
    recipe: m.recipe,
    recipeVersion: m.recipeVersion,
    params: m.params,
    datasetIds: datasets.map((d) => d.id),
    datasets,
    k: m.k,
    customers: m.customers,
    metrics: m.metrics as unknown as ModelMetrics,
    cleaning: m.cleaning,
    jobId: m.jobId,
    asOf: m.asOf ? m.asOf.toISOString().slice(0, 10) : null,
    value: m.value ?? null,
    window: windowOf(m),
  }
}

/** From the params as requested and the asOf the training resolved (the report records the same). */
function windowOf(m: ModelVersion): WindowView | null {
  const spec = (m.params as { window?: WindowSpec } | null)?.window
  return spec && m.asOf ? windowView(spec, dayOf(m.asOf.getTime())) : null
}

export async function activeVersion(db: Pick<Database, 'query'>): Promise<number | null> {
  const rows = await db.query<{ version: number }>('SELECT version FROM active_model WHERE id = 1')
  return rows[0]?.version ?? null
}

export async function listModels(db: Database): Promise<ModelView[]> {
  const [rows, active] = await Promise.all([db.prisma.modelVersion.findMany({ orderBy: { version: 'desc' }, omit: { bundle: true, report: true, evaluation: true } }), activeVersion(db)])
  return rows.map((m) => toModelView(m as ModelVersion, active))
}

export async function getModel(db: Database, version: number): Promise<ModelView & { report: unknown }> {
  const [row, active] = await Promise.all([db.prisma.modelVersion.findUnique({ where: { version }, omit: { bundle: true, evaluation: true } }), activeVersion(db)])
  if (!row) throw new HttpProblem(404, 'Not Found', `model version ${version} does not exist`)
  return { ...toModelView(row as ModelVersion, active), report: row.report }
}

export async function getActiveModel(db: Database): Promise<ModelView & { report: unknown }> {
  const active = await activeVersion(db)
  if (active === null) throw noActiveModel()
  return getModel(db, active)
}

/** A version's holdout evaluation (src/value/holdout.ts); 404 without the version, null without a holdout. */
export async function getEvaluation(db: Database, version: number): Promise<{ version: number; asOf: string | null; evaluation: unknown }> {
  const rows = await db.query<{ as_of: string | null; evaluation: unknown }>("SELECT to_char(as_of, 'YYYY-MM-DD') AS as_of, evaluation FROM model_versions WHERE version = $1", [version])
  if (!rows[0]) throw new HttpProblem(404, 'Not Found', `model version ${version} does not exist`)
  return { version, asOf: rows[0].as_of, evaluation: rows[0].evaluation ?? null }
}

export function noActiveModel(): HttpProblem {
  return new HttpProblem(409, 'No active model', 'no model is active yet: upload transactions (POST /datasets), then train one (POST /train)')
}

/** Makes `version` the active one inside `tx` and records the move; no-op if it already is. */
/**
 * Serialises activations until the transaction ends. Row locks cannot: before the first model
 * there is no active_model row to lock, and two trainings saving at once both inserted it; the
 * loser's duplicate key failed a whole job attempt (seen as attempts = 2 with two workers).
 */
export async function lockActivation(tx: SqlTx): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK])
}

/** The advisory lock key of activations (any constant unique to this use). */
const ACTIVATION_LOCK = 0x5e9_ac71

export async function activateIn(tx: SqlTx, version: number, reason: string, actor: string): Promise<boolean> {
  await lockActivation(tx)
  const current = await tx.query<{ version: number }>('SELECT version FROM active_model WHERE id = 1 FOR UPDATE')
  const from = current[0]?.version ?? null
  if (from === version) return false
  if (from === null) await tx.query('INSERT INTO active_model (id, version) VALUES (1, $1)', [version])
  else await tx.query('UPDATE active_model SET version = $1, changed_at = now() WHERE id = 1', [version])
  await tx.query('INSERT INTO activations ("from", "to", reason, actor) VALUES ($1, $2, $3, $4)', [from, version, reason, actor])
  await tx.query('UPDATE model_versions SET activated_at = coalesce(activated_at, now()) WHERE version = $1', [version])
  // Other API instances reload on this; polling covers backends without LISTEN.
  await tx.query('SELECT pg_notify($1, $2)', [MODEL_CHANNEL, String(version)])
  return true
}

/** Promotes or rolls back to `version` (POST /models/{version}/activate). */
export async function activate(db: Database, version: number, reason: string, actor: string): Promise<ModelView> {
  await db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM model_versions WHERE version = $1', [version])
    if (exists.length === 0) throw new HttpProblem(404, 'Not Found', `model version ${version} does not exist`)
    await activateIn(tx, version, reason, actor)
  })
  return getModel(db, version)
}

export interface ActivationView {
  at: string
  from: number | null
  to: number
  reason: string
  actor: string
}

export async function activationHistory(db: Database): Promise<ActivationView[]> {
  const rows = await db.prisma.activation.findMany({ orderBy: { id: 'desc' } })
  return rows.map((r) => ({ at: r.at.toISOString(), from: r.from, to: r.to, reason: r.reason, actor: r.actor }))
}

/**
 * The "if-better" rule: a new model replaces the active one when its log-RFM silhouette (the
 * same yardstick whatever the recipe) is higher and its bootstrap stability is at least 0.8.
 * With no active model, any model is better than none.
 */
export function isBetter(candidate: ModelMetrics, active: ModelMetrics | null): { better: boolean; why: string } {
  if (active === null) return { better: true, why: 'no model was active' }
  if (candidate.stability < 0.8) return { better: false, why: `stability ${candidate.stability.toFixed(3)} < 0.8` }
  if (candidate.logRfmSilhouette > active.logRfmSilhouette) {
    return { better: true, why: `log-RFM silhouette ${candidate.logRfmSilhouette.toFixed(4)} > ${active.logRfmSilhouette.toFixed(4)} of the active model` }
  }
  return { better: false, why: `log-RFM silhouette ${candidate.logRfmSilhouette.toFixed(4)} ≤ ${active.logRfmSilhouette.toFixed(4)} of the active model` }
}
