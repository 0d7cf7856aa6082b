// The service's API as the dashboard uses it: fetch with the key from sessionStorage as a
// Bearer token; problem+json errors become ApiError with the service's own explanation.

const KEY_ITEM = 'retail-segments.api-key'

export const apiKey = {
  get(): string {
    try {
      return sessionStorage.getItem(KEY_ITEM) ?? ''
    } catch {
      return ''
    }
  },
  set(key: string): void {
    try {
      if (key) sessionStorage.setItem(KEY_ITEM, key)
      else sessionStorage.removeItem(KEY_ITEM)
    } catch {
      // Storage disabled: the key is then used for nothing; the page says so through 401s.
    }
  },
}

export class ApiError extends Error {
  readonly status: number
  readonly title: string
  readonly detail: string
  constructor(
    status: number,
    title: string,
    detail: string,
  ) {
    super(`${status} ${title}: ${detail}`)
    this.status = status
    this.title = title
    this.detail = detail
  }
}

interface RequestOptions {
  method?: string
  json?: unknown
  body?: Blob
  contentType?: string
}

/** Calls the API; resolves to the status and the parsed JSON body, throws ApiError otherwise. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const key = apiKey.get()
  if (key) headers.authorization = `Bearer ${key}`
  let body: BodyInit | undefined
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  } else if (options.body) {
    headers['content-type'] = options.contentType ?? 'application/octet-stream'
    body = options.body
  }
  let res: Response
  try {
    res = await fetch(path, { method: options.method ?? 'GET', headers, body })
  } catch {
    throw new ApiError(0, 'Network error', 'the service did not answer; is it running?')
  }
  const text = await res.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = text
  }
  if (!res.ok) {
    const p = (data ?? {}) as { title?: string; detail?: string }
    throw new ApiError(res.status, p.title ?? res.statusText, p.detail ?? (typeof data === 'string' ? data : ''))
  }
  return { status: res.status, data: data as T }
}

export const get = async <T>(path: string): Promise<T> => (await request<T>(path)).data

/** A sentence for an error, saying what to do about keys. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'This needs an API key: enter one at the top of the page.'
    if (err.status === 403) return 'This needs an admin key: enter one at the top of the page.'
    return err.detail ? `${err.title}: ${err.detail}` : err.title
  }
  return err instanceof Error ? err.message : String(err)
}

// Shapes of the answers, generated from the service's OpenAPI document (npm run openapi), so a
// field the server does not send fails the type check.
import type { paths } from './api-schema.ts'

/** The JSON body of a path's 200 (or 201) answer. */
export type Answer<P extends keyof paths, M extends 'get' | 'post' = 'get'> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } } | { 201: { content: { 'application/json': infer T } } }
}
  ? T
  : never

export type Model = Answer<'/models/active'>
export type Metrics = Model['metrics']
export type Segment = Answer<'/segments'>[number]
export type Stats = Segment['profile'][string]
export type SegmentMap = Answer<'/segments/map'>
export type Activation = Answer<'/models/history'>[number]
export type Job = Answer<'/jobs/{id}'>
export type Dataset = Answer<'/datasets/{id}'>
export type DriftAnswer = Answer<'/drift'>
export type FeatureDrift = DriftAnswer['features'][number]
