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
  worker: 'inline' | 'off'
  logLevel: string
  maxUploadBytes: number
  /** Bound on decompressed upload size (gzip or xlsx), against decompression bombs. */
  maxInflatedBytes: number
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
    worker,
    logLevel: env.LOG_LEVEL ?? 'info',
    maxUploadBytes,
    maxInflatedBytes: int(env, 'MAX_INFLATED_BYTES', Math.max(4096 * MiB, 20 * maxUploadBytes), 1),
  }
}
