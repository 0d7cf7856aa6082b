// Stores a trained model as a new immutable version, with every customer's assignment, and
// applies the activation policy, all in one transaction: a failure anywhere leaves no version
// and does not touch the active model.
import type { Database } from '../db/database.ts'
import { serializeBundle, parseBundle, type ModelBundle } from '../pipeline/bundle.ts'
import type { Training } from '../training/train.ts'
import { windowView } from '../training/window.ts'
import { activateIn, isBetter, lockActivation, type ModelMetrics } from './models.ts'
import { CUSTOMER_VALUE_COLUMNS } from './value-rows.ts'
import { ASSIGNMENT_COLUMNS, saveParts, type SaveParts } from './save-parts.ts'

export type ActivationPolicy = 'if-better' | 'always' | 'never'

export interface SaveInput {
  training: Training
  params: unknown
  datasets: { id: string; sha256: string; name: string }[]
  jobId: string | null
  activate: ActivationPolicy
  actor: string
  /** The reference and rows, when made elsewhere (the training thread); made from `training` here otherwise. */
  parts?: SaveParts
}

export interface SaveOutcome {
  version: number
  activated: boolean
  why: string
}

export function metricsOf(t: Training): ModelMetrics {
  const m = t.result.report.metrics
  return {
    silhouette: m.silhouette,
    calinskiHarabasz: m.calinskiHarabasz,
    daviesBouldin: m.daviesBouldin,
    inertia: m.inertia,
    stability: m.stability,
    logRfmSilhouette: m.logRfmSilhouette ?? m.silhouette,
  }
}

export async function saveModel(db: Database, input: SaveInput): Promise<SaveOutcome> {
  const { training } = input
  const bundle = serializeBundle(training.result.bundle)
  const metrics = metricsOf(training)
  const parts = input.parts ?? saveParts(training)
  // A rolling window is recorded with the days it covered (params keep it as requested).
  const { spec, asOfDay } = training.window
  const report = spec ? { ...training.result.report, window: windowView(spec, asOfDay) } : training.result.report
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ version: number }>(
      `INSERT INTO model_versions (recipe, recipe_version, params, datasets, k, customers, metrics, cleaning, report, bundle, job_id, reference, as_of, value, evaluation)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING version`,
      [training.table.recipe, training.table.recipeVersion, JSON.stringify(input.params), JSON.stringify(input.datasets),
        training.result.bundle.segments.length, training.table.customerIds.length, JSON.stringify(metrics),
        JSON.stringify(training.build.cleaning), JSON.stringify(report), bundle, input.jobId, JSON.stringify(parts.reference),
        training.value?.model.asOf ?? null, training.value ? JSON.stringify(training.value.model) : null,
        training.value?.evaluation ? JSON.stringify(training.value.evaluation) : null],
    )
    const version = row!.version
    await tx.copyCsv('assignments', ASSIGNMENT_COLUMNS, parts.rows('assignments', version))
    if (training.value) await tx.copyCsv('customer_values', CUSTOMER_VALUE_COLUMNS, parts.rows('customer_values', version))

    let activate = false
    let why: string
    if (input.activate === 'never') why = 'activate = never'
    else if (input.activate === 'always') {
      activate = true
      why = 'activate = always'
    } else {
      // Compared with the active model as it is when this one is saved, not as another save left it half-way.
      await lockActivation(tx)
      const active = await tx.query<{ metrics: ModelMetrics }>(
        'SELECT m.metrics FROM active_model a JOIN model_versions m ON m.version = a.version WHERE a.id = 1 FOR UPDATE OF a')
      const verdict = isBetter(metrics, active[0]?.metrics ?? null)
      activate = verdict.better
      why = verdict.why
    }
    if (activate) await activateIn(tx, version, `trained: ${why}`, input.actor)
    return { version, activated: activate, why }
  })
}

/** The stored bundle of a version, parsed (exact doubles). */
export async function loadBundle(db: Database, version: number): Promise<ModelBundle | null> {
  const rows = await db.query<{ bundle: string }>('SELECT bundle::text AS bundle FROM model_versions WHERE version = $1', [version])
  return rows[0] ? parseBundle(rows[0].bundle) : null
}
