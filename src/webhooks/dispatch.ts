// From an event to delivery rows, and one attempt of a delivery. The queue (a pg-boss job per
// delivery) calls `attemptDelivery`; a failed attempt throws, so the queue's retry with backoff
// decides the next one, and the last failure marks the delivery failed. Nothing here runs on a
// request's or a training's path: emitting an event is one INSERT.
import { randomUUID } from 'node:crypto'
import type { SqlRunner } from '../db/database.ts'
import { deliver, type DeliveryOutcome } from './deliver.ts'
import type { WebhookEvent } from './registry.ts'

type Db = Pick<SqlRunner, 'query'>

/** The body every receiver gets, as the Standard Webhooks specification suggests: type, timestamp, data. */
export function eventBody(event: WebhookEvent, data: unknown, at = new Date()): string {
  return JSON.stringify({ type: event, timestamp: at.toISOString(), data })
}

/** Whether any webhook subscribes to `event` (a summary costly to compute can be skipped otherwise). */
export async function subscribed(db: Db, event: WebhookEvent): Promise<boolean> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhooks WHERE $1 = ANY(events)', [event]))[0]!.n > 0
}

/** Writes one delivery per subscriber of `event`; returns their ids, for the queue. */
export async function recordEvent(db: Db, event: WebhookEvent, data: unknown): Promise<string[]> {
  const body = eventBody(event, data)
  const hooks = await db.query<{ id: string }>('SELECT id FROM webhooks WHERE $1 = ANY(events) ORDER BY id', [event])
  const ids: string[] = []
  for (const h of hooks) {
    const id = randomUUID()
    await db.query('INSERT INTO webhook_deliveries (id, webhook_id, event, body) VALUES ($1, $2, $3, $4)', [id, h.id, event, body])
    ids.push(id)
  }
  return ids
}

export class DeliveryFailed extends Error {
  override name = 'DeliveryFailed'
}

export interface AttemptOptions {
  timeoutMs: number
  allowPrivate: boolean
  /** True on the queue's last attempt: a failure then marks the delivery failed. */
  last: boolean
}

/**
 * One attempt: sign, POST, append the outcome to the delivery's log. Resolves when delivered (or
 * when the delivery or its webhook is gone); throws DeliveryFailed so the queue retries.
 */
export async function attemptDelivery(db: Db, deliveryId: string, options: AttemptOptions): Promise<DeliveryOutcome | null> {
  const rows = await db.query<{ url: string; secret: string; body: string; status: string }>(
    `SELECT w.url, w.secret, d.body, d.status FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, [deliveryId])
  const d = rows[0]
  if (!d || d.status !== 'pending') return null
  const outcome = await deliver({ url: d.url, secret: d.secret, id: deliveryId, body: d.body, timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate })
  const status = outcome.ok ? 'delivered' : options.last ? 'failed' : 'pending'
  const entry = JSON.stringify([{ at: new Date().toISOString(), status: outcome.status, latencyMs: outcome.latencyMs, error: outcome.error }])
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, log = log || $2::jsonb, status = $3,
       finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE CURRENT_TIMESTAMP END WHERE id = $1`,
    [deliveryId, entry, status])
  if (!outcome.ok) throw new DeliveryFailed(outcome.error ?? `receiver answered ${outcome.status}`)
  return outcome
}
