// One delivery attempt: a signed JSON POST with a deadline. It never throws: the outcome
// (status, latency, error) is what the delivery log records and what decides a retry.
import http from 'node:http'
import https from 'node:https'
import { checkTargetUrl, guardedLookup } from './target.ts'
import { signDelivery } from './sign.ts'

export interface DeliveryRequest {
  url: string
  secret: string
  /** The delivery's id, stable across retries (receivers de-duplicate on it). */
  id: string
  body: string
  timeoutMs: number
  allowPrivate: boolean
  /** Seconds since the epoch, for the signature; now by default. */
  timestamp?: number
}

export interface DeliveryOutcome {
  ok: boolean
  /** HTTP status, or null when no answer came (refused, timed out, network error). */
  status: number | null
  latencyMs: number
  error: string | null
}

const MAX_ANSWER_BYTES = 64 * 1024

export function deliver(req: DeliveryRequest): Promise<DeliveryOutcome> {
  const started = performance.now()
  const done = (status: number | null, error: string | null): DeliveryOutcome => ({
    ok: status !== null && status >= 200 && status < 300,
    status,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    error,
  })
  let url: URL
  try {
    // A literal address never goes through DNS, so it is checked here as at registration.
    url = checkTargetUrl(req.url, req.allowPrivate)
  } catch (err) {
    return Promise.resolve(done(null, (err as Error).message))
  }
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'retail-segments-webhooks/1',
    ...signDelivery(req.secret, req.id, req.timestamp ?? Date.now() / 1000, req.body),
  }
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let settled = false
    const finish = (status: number | null, error: string | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(done(status, error))
    }
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(req.body) },
      lookup: guardedLookup(req.allowPrivate) as never,
      agent: false,
    }, (res) => {
      // Read (a bounded part of) the answer so the socket closes cleanly; its content is not kept.
      let seen = 0
      res.on('data', (chunk: Buffer) => { seen += chunk.length; if (seen > MAX_ANSWER_BYTES) res.destroy() })
      res.on('end', () => finish(res.statusCode ?? null, null))
      res.on('error', () => finish(res.statusCode ?? null, null))
      res.on('close', () => finish(res.statusCode ?? null, null))
    })
    // The deadline covers connect, send and the whole answer, not only idle time.
    const timer = setTimeout(() => {
      request.destroy()
      finish(null, `timed out after ${req.timeoutMs} ms`)
    }, req.timeoutMs)
    request.on('error', (err) => finish(null, err.message))
    request.end(req.body)
  })
}
