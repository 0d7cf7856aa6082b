// The retrain policy of POST /drift/check: the data drifted when the share of drifted features
// reaches the threshold or the segment shares shifted; then, if asked, a training is queued on
// the model's datasets that still exist plus the one checked, with the model's recipe and the
// defaults of POST /train (modelParams), so a retrain is the training a client would ask for.
// A check that finds drift emits the drift.detected webhook event, with or without a retrain.
import type { Database } from '../db/database.ts'
import { enqueue, type JobView } from '../jobs/queue.ts'
import type { CheckBody } from '../schemas/drift.ts'
import type { TrainParams } from '../schemas/jobs.ts'
import { modelParams } from '../training/params.ts'
import { driftOf, driftView, type DriftDeps, type DriftResult } from './service.ts'
import type { FastifyBaseLogger } from 'fastify'
import { emit, type WebhookPolicy } from '../webhooks/events.ts'

export interface DriftCheck {
  drift: ReturnType<typeof driftView>
  retrain: JobView | null
  reason: string
}

/** Whether the check counts as drift: by the features or by the segment shares. */
export const drifted = (r: DriftResult): boolean => r.comparison.report.datasetDrift || r.comparison.segments.shifted

/** The retrain's params: the model's datasets (those not deleted since) and the new one, the model's recipe, POST /train's defaults. */
async function retrainParams(db: Database, r: DriftResult, activate: TrainParams['activate']): Promise<TrainParams> {
  const model = await db.prisma.modelVersion.findUniqueOrThrow({ where: { version: r.model.version }, select: { datasets: true } })
  const ids = (model.datasets as { id: string }[]).map((d) => d.id)
  const existing = new Set((await db.prisma.dataset.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((d) => d.id))
  const datasetIds = [...new Set([...ids.filter((id) => existing.has(id)), r.source.datasetId!])]
  return { datasetIds, ...modelParams({ recipe: r.model.bundle.recipe }), activate }
}

export interface CheckDeps extends DriftDeps {
  /** Where drift.detected goes; without it nobody is told (a caller outside the service). */
  webhooks?: WebhookPolicy
  log?: FastifyBaseLogger
}

/** Checks a dataset (default: the newest) against the active model, applies the retrain policy and, on drift, emits drift.detected. */
export async function checkDrift(deps: CheckDeps, body: CheckBody): Promise<DriftCheck> {
  const r = await driftOf(deps, { datasetId: body.datasetId })
  if (!drifted(r)) return { drift: driftView(r), retrain: null, reason: 'no drift: nothing to do' }
  let check: DriftCheck
  if (!body.retrainOnDrift) check = { drift: driftView(r), retrain: null, reason: 'drift found; retrainOnDrift was not set' }
  else {
    const params = await retrainParams(deps.db, r, body.activate ?? 'if-better')
    const { job } = await enqueue(deps.db, params)
    check = { drift: driftView(r), retrain: job, reason: `drift found: retrain queued on ${params.datasetIds.length} dataset(s)` }
  }
  if (deps.webhooks) await emit(deps.db, deps.webhooks, 'drift.detected', driftDetected(check), deps.log)
  return check
}

/** drift.detected's data: the version, what drifted, the retrain if one was queued, and GET /drift's link to the same report. */
export function driftDetected({ drift, retrain }: DriftCheck) {
  return {
    version: drift.modelVersion,
    datasetId: drift.source.datasetId ?? null,
    datasetDrift: drift.datasetDrift,
    driftShare: drift.driftShare,
    driftShareThreshold: drift.driftShareThreshold,
    features: drift.features.length,
    drifted: drift.features.filter((f) => f.drifted).map((f) => ({ feature: f.feature, method: f.method, statistic: f.statistic, psi: f.psi, psiBand: f.psiBand })),
    segmentsShifted: drift.segments.shifted,
    retrain: retrain ? { id: retrain.id, job: `/jobs/${retrain.id}` } : null,
    report: `/drift?model=${drift.modelVersion}&datasetId=${drift.source.datasetId}`,
  }
}
