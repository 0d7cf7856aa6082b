// The training job: the params of POST /train → a new model version (and, by the activation
// policy, a new active model). Stage boundaries are where a cancel takes effect.
import type { Database } from '../db/database.ts'
import { activeVersion } from '../registry/models.ts'
import { loadBundle, saveModel } from '../registry/save.ts'
import { recipeId } from '../pipeline/recipe-id.ts'
import type { TrainParams } from '../schemas/jobs.ts'
import { runTraining, TooLittleData, type Training } from '../training/train.ts'
import { trainInThread } from '../training/thread.ts'
import type { SaveParts } from '../registry/save-parts.ts'
import { PermanentJobError, type JobHandler } from './worker.ts'
import { emitActivation, type WebhookPolicy } from '../webhooks/events.ts'

export interface TrainingJobOptions {
  /**
   * Trains in a worker thread (src/training/thread.ts), which also makes the rows the save
   * writes: the API's inline worker does, so its event loop keeps serving; a worker process of
   * its own trains and saves in its main thread.
   */
  thread?: boolean
  /**
   * Without a thread (a standalone worker process): the merge of stored aggregates fans out into
   * merge-range jobs that any worker process may run (MERGE_FAN_OUT). A training thread keeps the
   * in-process loop: it has no pg-boss, and the API's event loop must not run merges.
   */
  fanOut?: boolean
}

/** With a webhook policy, an activation is told to webhook subscribers (model.activated, segments.moved). */
export function trainingJob(db: Database, webhooks?: WebhookPolicy, options: TrainingJobOptions = {}): JobHandler {
  return async (raw, ctx) => {
    const params = raw as TrainParams
    await ctx.stage('loading', 0.05)
    const datasets = await db.prisma.dataset.findMany({ where: { id: { in: params.datasetIds } }, select: { id: true, sha256: true, name: true } })
    const gone = params.datasetIds.filter((id) => !datasets.some((d) => d.id === id))
    if (gone.length > 0) throw new PermanentJobError(`dataset ${gone.join(', ')} no longer exists`)
    const ordered = params.datasetIds.map((id) => datasets.find((d) => d.id === id)!)

    const active = await activeVersion(db)
    // The active model's bundle: read by the training thread itself (its parse stays off the event loop).
    const previous = async () => (active === null ? undefined : ((await loadBundle(db, active)) ?? undefined))
    // A job queued before the recipe `seed` was renamed `original` carries the former name.
    const trainingParams = { ...params, recipe: recipeId(params.recipe) }
    let trained: { training: Training; parts?: SaveParts; close?: () => Promise<void> }
    try {
      trained = options.thread
        ? await trainInThread(db, trainingParams, { previousVersion: active, stage: ctx.stage, signal: ctx.signal })
        : {
            // The modelling in a thread of its own: this event loop carries the job's heartbeat.
            training: await runTraining(db, trainingParams, {
              previous: await previous(),
              stage: ctx.stage,
              fanOut: options.fanOut ? { signal: ctx.signal } : undefined,
              modelThread: { signal: ctx.signal },
            }),
          }
    } catch (err) {
      if (err instanceof TooLittleData) throw new PermanentJobError(err.message)
      throw err
    }
    let saved
    try {
      const { training, parts } = trained
      const { report } = training.result
      await ctx.log('info', `k = ${report.k} (${report.kSelection}); silhouette ${report.metrics.silhouette.toFixed(4)}, log-RFM silhouette ${report.metrics.logRfmSilhouette?.toFixed(4)}, stability ${report.metrics.stability.toFixed(3)}`)
      await ctx.stage('saving', 0.9)
      // In a thread, the thread makes the rows the save writes (their bytes are piped to the COPY here).
      saved = await saveModel(db, { training, params, datasets: ordered, jobId: ctx.jobId, activate: params.activate, actor: `job ${ctx.jobId}`, parts })
    } finally {
      await trained.close?.()
    }
    if (saved.activated && webhooks) await emitActivation(db, webhooks, saved.version, `trained: ${saved.why}`)
    return {
      modelVersion: saved.version,
      message: `model version ${saved.version} ${saved.activated ? 'activated' : 'not activated'}: ${saved.why}`,
    }
  }
}
