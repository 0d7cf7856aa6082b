// The environment, parsed and typed, in one place. Nothing else reads process.env.
import path from 'node:path'

export type Role = 'admin' | 'read'

export interface Config {
  port: number
  host: string
  /** Postgres URL; undefined → embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  apiKeys: { role: Role; key: string }[]
  /** AUTH: `auto` (keys if any, else open; refused in production), `on` (keys required), `off` (open, deliberately). */
  auth: 'auto' | 'on' | 'off'
  /** NODE_ENV=production: the service refuses to run open unless AUTH=off. */
  production: boolean
  worker: 'inline' | 'off'
  /**
   * MERGE_FAN_OUT (`on`, `off`): a standalone worker process's training merges stored aggregates
   * as merge-range jobs by customer-hash range, and the process takes other trainings' ranges;
   * `off`: each training merges all its ranges itself and the process takes none. The API's inline
   * worker never fans out (its trainings run in a thread without the job queue).
   */
  mergeFanOut: boolean
  logLevel: string
  maxUploadBytes: number
  /** Bound on decompressed upload size (gzip or xlsx), against decompression bombs. */
  maxInflatedBytes: number
  /** Body limit of the prediction routes (JSON); the other JSON routes accept 64 KiB. */
  maxJsonBytes: number
  /** Whole request (headers and body) must arrive within this; 0 = no limit. */
  requestTimeoutMs: number
  /** An idle socket is closed after this; 0 = never. */
  connectionTimeoutMs: number
  keepAliveTimeoutMs: number
  /** Write requests (uploads, train, cancel, activate, delete) per client address and window; 0 = no limit. */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** Mean event-loop delay over a second above which requests get 503; 0 = not checked. */
  maxEventLoopDelayMs: number
  /** Heap use, in percent of V8's heap limit, above which requests get 503; 0 = not checked. */
  maxHeapUsedPercent: number
  /** Share of predictions written to the prediction log (for drift over recent traffic); 0 = none. */
  predictionLogSample: number
  /** The prediction log keeps at most this many rows (the oldest go first). */
  predictionLogMaxRows: number
  /** At most this many samples written per second (a uniform reservoir of that second's). */
  predictionLogMaxPerSecond: number
  /** WEBHOOK_ALLOW_PRIVATE=1: webhook targets may be private, loopback or link-local (tests, internal receivers). */
  webhookAllowPrivate: boolean
  /** One delivery attempt (connect, send, answer) must finish within this. */
  webhookTimeoutMs: number
  /** Attempts per delivery, the first included; retries back off exponentially from webhookRetryDelaySeconds. */
  webhookMaxAttempts: number
  webhookRetryDelaySeconds: number
}

export class ConfigError extends Error {}

const MiB = 1024 * 1024

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got "${raw}"`)
  return value
}

function apiKeys(raw: string | undefined): Config['apiKeys'] {
  if (raw === undefined || raw.trim() === '') return []
  return raw.split(',').map((pair) => {
    const at = pair.indexOf(':')
    const role = pair.slice(0, at).trim()
    const key = pair.slice(at + 1).trim()
    if (at < 0 || (role !== 'admin' && role !== 'read') || key === '') {
      throw new ConfigError('API_KEYS must be comma-separated role:key pairs with role admin or read')
    }
    return { role, key }
  })
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!(value >= 0 && value <= 1)) throw new ConfigError(`${name} must be a number from 0 to 1, got "${raw}"`)
  return value
}

function percent(value: number): number {
  if (value > 100) throw new ConfigError(`MAX_HEAP_USED_PERCENT must be between 0 and 100, got ${value}`)
  return value
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = (env[name] ?? '').trim().toLowerCase()
  if (value === '' || value === '0' || value === 'false') return false
  if (value === '1' || value === 'true') return true
  throw new ConfigError(`${name} must be 1 or 0, got "${env[name]}"`)
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = (env[name] ?? '').trim().toLowerCase()
  if (value === '') return fallback
  if (value === 'on' || value === 'off') return value === 'on'
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`)
}

function authMode(raw: string | undefined): Config['auth'] {
  const value = (raw ?? '').trim().toLowerCase()
  if (value === '') return 'auto'
  if (value === 'on' || value === 'off') return value
  throw new ConfigError(`AUTH must be on or off, got "${raw}"`)
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const worker = env.WORKER ?? 'inline'
  if (worker !== 'inline' && worker !== 'off') throw new ConfigError(`WORKER must be inline or off, got "${worker}"`)
  const maxUploadBytes = int(env, 'MAX_UPLOAD_BYTES', 200 * MiB, 1)
  return {
    port: int(env, 'PORT', 3000),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: path.resolve(env.DATA_DIR ?? './data'),
    apiKeys: apiKeys(env.API_KEYS),
    auth: authMode(env.AUTH),
    production: env.NODE_ENV === 'production',
    worker,
    mergeFanOut: onOff(env, 'MERGE_FAN_OUT', true),
    logLevel: env.LOG_LEVEL ?? 'info',
    maxUploadBytes,
    maxInflatedBytes: int(env, 'MAX_INFLATED_BYTES', Math.max(4096 * MiB, 20 * maxUploadBytes), 1),
    maxJsonBytes: int(env, 'MAX_JSON_BYTES', 10 * MiB, 1024),
    // 10 minutes lets a 200 MiB upload through at 350 kB/s; a slow-loris client is cut off then.
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 600_000),
    connectionTimeoutMs: int(env, 'CONNECTION_TIMEOUT_MS', 120_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1),
    rateLimitMax: int(env, 'RATE_LIMIT_MAX', 600),
    rateLimitWindowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1),
    maxEventLoopDelayMs: int(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000),
    maxHeapUsedPercent: percent(int(env, 'MAX_HEAP_USED_PERCENT', 90)),
    predictionLogSample: fraction(env, 'PREDICTION_LOG_SAMPLE', 0.1),
    predictionLogMaxRows: int(env, 'PREDICTION_LOG_MAX_ROWS', 100_000, 1),
    predictionLogMaxPerSecond: int(env, 'PREDICTION_LOG_MAX_PER_SECOND', 1000, 1),
    webhookAllowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE'),
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100),
    webhookMaxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 6, 1),
    webhookRetryDelaySeconds: int(env, 'WEBHOOK_RETRY_DELAY_SECONDS', 10, 1),
  }
}

/** For process entries: the configuration, or a one-line message and exit code 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`configuration error: ${err.message}`)
    process.exit(2)
  }
}
