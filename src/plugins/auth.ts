// API keys with roles. Each route says who may call it (config.role: admin, read — the default —
// or open); docs and health are open. With no keys configured the service runs open and says so
// loudly at start-up.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config, Role } from '../config.ts'
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
const digest = (s: string) => createHash('sha256').update(s).digest()

const OPEN_PREFIXES = ['/docs', '/openapi.json', '/health/', '/metrics']

function routeRole(request: FastifyRequest): Role | 'open' {
  const configured = request.routeOptions.config.role
  if (configured) return configured
  const url = request.routeOptions.url ?? ''
  return OPEN_PREFIXES.some((p) => url.startsWith(p)) ? 'open' : 'read'
}

export default fp(async function auth(app: FastifyInstance, opts: { config: Config }) {
  const keys = opts.config.apiKeys.map((k) => ({ role: k.role, digest: digest(k.key), label: `${k.role}:${k.key.slice(0, 2)}…` }))
  app.decorateRequest('actor', 'anonymous')
  if (keys.length === 0) {
    app.log.warn('API_KEYS is not set: the API is OPEN to anyone who can reach it (uploads, training, activation included)')
    return
  }
  app.addHook('onRequest', async (request) => {
    const needed = routeRole(request)
    if (needed === 'open') return
    const header = request.headers.authorization ?? ''
    const match = /^Bearer\s+(.+)$/i.exec(header)
    if (!match) throw new HttpProblem(401, 'Unauthorized', 'send an API key as "Authorization: Bearer <key>"')
    const presented = digest(match[1]!.trim())
    let role: Role | undefined
    for (const k of keys) if (timingSafeEqual(k.digest, presented)) role = role === 'admin' ? role : k.role
    if (!role) throw new HttpProblem(401, 'Unauthorized', 'the API key is not valid')
    if (needed === 'admin' && role !== 'admin') throw new HttpProblem(403, 'Forbidden', 'this needs an admin key')
    request.actor = role
  })
})
