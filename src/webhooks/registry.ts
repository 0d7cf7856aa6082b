// Webhook subscriptions and their deliveries. A subscription's secret is shown once, when it
// is created; a delivery row is written for every subscriber of an event, and each attempt's
// outcome is appended to its log by the delivery job.
import { randomUUID } from 'node:crypto'
import type { SqlRunner } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import { newSecret, secretKey } from './sign.ts'
import { checkTargetUrl, TargetRefused } from './target.ts'

type Db = Pick<SqlRunner, 'query'>

export const EVENTS = ['model.activated', 'drift.detected', 'job.failed', 'segments.moved'] as const
export type WebhookEvent = (typeof EVENTS)[number]

export interface WebhookView {
  id: string
  url: string
  events: WebhookEvent[]
  createdAt: string
  createdBy: string
}

interface WebhookRow { id: string; url: string; events: WebhookEvent[]; created_at: Date; created_by: string }

const view = (r: WebhookRow): WebhookView => ({ id: r.id, url: r.url, events: r.events, createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by })

export async function createWebhook(db: Db, input: { url: string; events: WebhookEvent[]; secret?: string }, actor: string, allowPrivate: boolean): Promise<WebhookView & { secret: string }> {
  try {
    checkTargetUrl(input.url, allowPrivate)
  } catch (err) {
    if (err instanceof TargetRefused) throw new HttpProblem(422, 'Webhook target refused', err.message, [{ path: 'body.url', message: err.message }])
    throw err
  }
  const secret = input.secret ?? newSecret()
  try {
    secretKey(secret)
  } catch (err) {
    throw new HttpProblem(400, 'Bad Request', (err as Error).message, [{ path: 'body.secret', message: 'whsec_ + base64 of ≥ 24 bytes' }])
  }
  const events = [...new Set(input.events)].sort() as WebhookEvent[]
  const rows = await db.query<WebhookRow>(
    'INSERT INTO webhooks (id, url, events, secret, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id, url, events, created_at, created_by',
    [randomUUID(), input.url, events, secret, actor])
  return { ...view(rows[0]!), secret }
}

export async function listWebhooks(db: Db): Promise<WebhookView[]> {
  return (await db.query<WebhookRow>('SELECT id, url, events, created_at, created_by FROM webhooks ORDER BY created_at, id')).map(view)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function deleteWebhook(db: Db, id: string): Promise<void> {
  const rows = UUID.test(id) ? await db.query('DELETE FROM webhooks WHERE id = $1 RETURNING id', [id]) : []
  if (rows.length === 0) throw new HttpProblem(404, 'Not Found', `no webhook ${id}`)
}

export interface DeliveryView {
  id: string
  event: WebhookEvent
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  log: { at: string; status: number | null; latencyMs: number; error: string | null }[]
  createdAt: string
  finishedAt: string | null
}

interface DeliveryRow { id: string; event: WebhookEvent; status: DeliveryView['status']; attempts: number; log: DeliveryView['log']; created_at: Date; finished_at: Date | null }

export async function listDeliveries(db: Db, webhookId: string, limit: number): Promise<DeliveryView[]> {
  if (!UUID.test(webhookId) || (await db.query('SELECT 1 FROM webhooks WHERE id = $1', [webhookId])).length === 0) {
    throw new HttpProblem(404, 'Not Found', `no webhook ${webhookId}`)
  }
  const rows = await db.query<DeliveryRow>(
    'SELECT id, event, status, attempts, log, created_at, finished_at FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id LIMIT $2',
    [webhookId, limit])
  return rows.map((r) => ({
    id: r.id, event: r.event, status: r.status, attempts: r.attempts, log: r.log,
    createdAt: new Date(r.created_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  }))
}
