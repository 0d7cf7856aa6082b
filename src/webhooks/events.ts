// Registry events to webhook deliveries: each subscriber's delivery is a row and a pg-boss job
// (queue `webhook`), retried with backoff by pg-boss. Emitting never throws and never waits on
// a receiver: a receiver that is down costs the training or the request one INSERT per subscriber.
import type { FastifyBaseLogger } from 'fastify'
import type { Job } from 'pg-boss'
import type { Config } from '../config.ts'
import type { Database } from '../db/database.ts'
import { bossFor, WEBHOOK_QUEUE } from '../jobs/boss.ts'
import { modelTransitions } from '../history/service.ts'
import { attemptDelivery, recordEvent, subscribed } from './dispatch.ts'
import type { WebhookEvent } from './registry.ts'

export interface WebhookPolicy {
  maxAttempts: number
  retryDelaySeconds: number
  timeoutMs: number
  allowPrivate: boolean
}

export const policyOf = (c: Config): WebhookPolicy => ({
  maxAttempts: c.webhookMaxAttempts, retryDelaySeconds: c.webhookRetryDelaySeconds, timeoutMs: c.webhookTimeoutMs, allowPrivate: c.webhookAllowPrivate,
})

export async function emit(db: Database, policy: WebhookPolicy, event: WebhookEvent, data: unknown, log?: FastifyBaseLogger): Promise<void> {
  try {
    const ids = await recordEvent(db, event, data)
    if (ids.length === 0) return
    const boss = await bossFor(db)
    for (const id of ids) {
      await boss.send(WEBHOOK_QUEUE, { deliveryId: id }, { retryLimit: policy.maxAttempts - 1, retryDelay: policy.retryDelaySeconds, retryBackoff: true })
    }
  } catch (err) {
    log?.error({ err, event }, 'webhook event not recorded')
  }
}

/** `model.activated`, then `segments.moved` with the count of every transition and a link to the movers. */
export async function emitActivation(db: Database, policy: WebhookPolicy, version: number, reason: string, log?: FastifyBaseLogger): Promise<void> {
  const previous = await db.query<{ from: number | null }>('SELECT "from" FROM activations WHERE "to" = $1 ORDER BY id DESC LIMIT 1', [version])
  const from = previous[0]?.from ?? null
  await emit(db, policy, 'model.activated', { version, previous: from, reason, model: `/models/${version}` }, log)
  if (from === null) return
  try {
    // The transitions read both versions' assignments and values (tens of ms of the API's event
    // loop with the inline worker, issue 13 point 7): only worth it for a subscriber.
    if (!(await subscribed(db, 'segments.moved'))) return
    const m = await modelTransitions(db, version, from)
    const moves = m.segments.from.flatMap((u, i) => m.segments.to.map((v, j) => ({ fromSegment: u, toSegment: v, count: m.segments.counts[i]![j]! })))
    await emit(db, policy, 'segments.moved', {
      version, previous: from, stayed: m.segments.stayed, entered: m.segments.entered.count, left: m.segments.left.count,
      transitions: moves.filter((x) => x.count > 0),
      movers: `/models/${version}/movers?from=${from}`, matrix: `/models/${version}/transitions?from=${from}`,
    }, log)
  } catch (err) {
    log?.error({ err, version }, 'segments.moved not recorded')
  }
}

/** The `webhook` queue's handler: one attempt; pg-boss retries a thrown failure with backoff. */
export function deliveryHandler(db: Database, policy: WebhookPolicy) {
  return async ([job]: Job<{ deliveryId: string }>[]): Promise<void> => {
    const j = job as Job<{ deliveryId: string }> & { retryCount?: number; retryLimit?: number }
    const last = (j.retryCount ?? 0) >= (j.retryLimit ?? policy.maxAttempts - 1)
    await attemptDelivery(db, j.data.deliveryId, { timeoutMs: policy.timeoutMs, allowPrivate: policy.allowPrivate, last })
  }
}
