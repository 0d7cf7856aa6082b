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

// Shapes of the answers (docs/api.md); only the fields the page reads.

export interface Metrics {
  silhouette: number
  calinskiHarabasz: number
  daviesBouldin: number
  inertia: number
  stability: number
  logRfmSilhouette?: number
}

export interface Model {
  version: number
  status: 'active' | 'candidate' | 'archived'
  createdAt: string
  recipe: string
  k: number
  customers: number
  metrics: Metrics
  datasets?: { id: string; name: string }[]
  jobId: string | null
}

export interface Stats {
  mean: number | null
  median: number | null
  p25: number | null
  p75: number | null
}

export interface Segment {
  id: number
  name: string
  description: string
  size: number
  share: number
  profile: Record<string, Stats>
  topProducts: { stockCode: string; description: string; buyers: number }[]
}

export interface SegmentMap {
  modelVersion: number
  customers: number
  axes: { name: string; varianceShare: number; loadings: Record<string, number> }[]
  points: { customerId: string; segment: number; x: number; y: number }[]
}

export interface Activation {
  at: string
  from: number | null
  to: number
  reason: string
  actor: string
}

export interface Job {
  id: string
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
  stage: string | null
  progress: number
  error: string | null
  modelVersion: number | null
  log: { at: string; level: string; message: string }[]
  createdAt: string
}

export interface Dataset {
  id: string
  name: string
  rows: { read: number; accepted: number; rejected: number }
  customers: number
  createdAt: string
}

export interface FeatureDrift {
  feature: string
  method: string
  statistic: number | null
  threshold: number
  drifted: boolean
  psi?: number
  psiBand?: string
}

/** GET /drift: every field read defensively (the report may grow or be missing). */
export interface DriftAnswer {
  modelVersion?: number
  source?: { datasetId?: string; window?: string }
  referenceSize?: number
  currentSize?: number
  features?: FeatureDrift[]
  driftShare?: number
  datasetDrift?: boolean
  numberOfFeatures?: number
  numberOfDrifted?: number
  recommendation?: unknown
  [extra: string]: unknown
}
