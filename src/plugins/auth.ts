// API keys with roles. Each route says who may call it (config.role: admin, read — the default —
// or open); docs, health and metrics are open. Without keys the service runs open and says so
// loudly at start-up, except with NODE_ENV=production (or AUTH=on), where it refuses to start
// unless AUTH=off says that open is meant.
//
// Keys are never logged: Fastify's request serializer logs method, url, host and address only,
// no header, and no key material is kept beyond its sha256 digest (test/auth.test.ts captures
// the logs of authorized and refused requests at trace level and looks for the keys).
import { hash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { ConfigError, type Config, type Role } from '../config.ts'
import { HttpProblem } from '../errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: admin, read (the default) or open. */
    role?: Role | 'open'
  }
  interface FastifyRequest {
    /** Who made the request: the role of its key, or "anonymous" when auth is off. */
    actor: string
  }
}

// Comparing fixed-length digests keeps the comparison constant-time whatever the key lengths.
// crypto.hash's one-shot hex digest: createHash().update().digest() plus a hex copy took ~7 % of
// the server's busy time under the predict load (docs/benchmarks.md, "Request overhead").
const digest = (s: string) => hash('sha256', s, 'hex')

/** Two hex digests of the same length compared without an early exit. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

const OPEN_PREFIXES = ['/docs', '/openapi.json', '/health/', '/metrics']
const MIN_KEY_LENGTH = 16

/** The role a route needs: its config.role, else open for docs/health/metrics, else read. */
export function requiredRole(url: string, configured: Role | 'open' | undefined): Role | 'open' {
  if (configured) return configured
  return OPEN_PREFIXES.some((p) => url.startsWith(p)) ? 'open' : 'read'
}

/** The role the request's route needs (one read of routeOptions, which builds an object each time). */
function roleOf(request: FastifyRequest): Role | 'open' {
  const route = request.routeOptions
  return requiredRole(route.url ?? '', route.config.role)
}

/** Refuses a configuration that would run open by accident; returns whether auth is enforced. */
export function checkAuthConfig(config: Config): boolean {
  if (config.auth === 'off') return false
  if (config.apiKeys.length > 0) return true
  if (config.auth === 'on') throw new ConfigError('AUTH=on but API_KEYS is empty: set API_KEYS (e.g. admin:<key>,read:<key>)')
  if (config.production) {
    throw new ConfigError('NODE_ENV=production and API_KEYS is empty: set API_KEYS, or AUTH=off to run the API open on purpose')
  }
  return false
}

export default fp(async function auth(app: FastifyInstance, opts: { config: Config }) {
  const enforced = checkAuthConfig(opts.config)

  // The OpenAPI document says which operations need a key (Swagger UI's "Authorize" then sends it).
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.schema?.hide) return
    const needed = requiredRole(route.url, route.config?.role)
    route.schema = { ...route.schema, security: needed === 'open' ? [] : [{ bearer: [] }] } as RouteOptions['schema']
  })

  app.decorateRequest('actor', 'anonymous')
  if (!enforced) {
    const why = opts.config.auth === 'off' ? 'AUTH=off' : 'API_KEYS is not set'
    const ignored = opts.config.apiKeys.length > 0 ? ' (the keys in API_KEYS are ignored)' : ''
    const message = `${why}${ignored}: the API is OPEN to anyone who can reach it (uploads, training, activation included)`
    if (opts.config.production) app.log.error(message)
    else app.log.warn(message)
    return
  }

  // By digest: one lookup per request whatever the number of keys. The lookup's timing can only
  // tell whether a sha256 digest is configured, which says nothing usable about any key; the
  // match is then confirmed in constant time. A key configured twice keeps its highest role.
  const keys = new Map<string, { role: Role; digest: string }>()
  for (const k of opts.config.apiKeys) {
    const d = digest(k.key)
    const known = keys.get(d)
    keys.set(d, { role: known?.role === 'admin' ? 'admin' : k.role, digest: d })
  }
  for (const k of opts.config.apiKeys) {
    if (k.key.length < MIN_KEY_LENGTH) app.log.warn({ role: k.role }, `an API key is shorter than ${MIN_KEY_LENGTH} characters: use long random keys (openssl rand -hex 32)`)
  }

  // Keys already confirmed, by their exact text, so that a valid key's request skips the sha256
  // (4-5 % of the server's busy time under the predict load: docs/benchmarks.md, "Request
  // overhead"). Only a text whose digest matched a configured key enters, so it holds at most the
  // configured keys, which the config holds anyway; any other text misses and takes the digest
  // path, and a miss can only reach a string comparison through a collision of V8's seeded
  // string hash with a configured key's.
  const confirmed = new Map<string, Role>()

  // A callback hook (no promise per request); refusals go to the error handler through done().
  const check = (request: FastifyRequest): HttpProblem | undefined => {
    const needed = roleOf(request)
    if (needed === 'open') return undefined
    const header = request.headers.authorization ?? ''
    const match = /^Bearer[ \t]+(\S.*)$/i.exec(header)
    if (!match) return new HttpProblem(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>"')
    const presented = match[1]!.trim()
    let role = confirmed.get(presented)
    if (role === undefined) {
      const d = digest(presented)
      const key = keys.get(d)
      role = key && sameDigest(key.digest, d) ? key.role : undefined
      if (role) confirmed.set(presented, role)
    }
    if (!role) return new HttpProblem(401, 'Unauthorized', 'the API key is not valid')
    if (needed === 'admin' && role !== 'admin') return new HttpProblem(403, 'Forbidden', 'this needs an admin key')
    request.actor = role
    return undefined
  }
  app.addHook('onRequest', (request, _reply, done) => {
    const problem = check(request)
    if (problem) done(problem)
    else done()
  })
})
