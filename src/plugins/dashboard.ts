// The segment dashboard at `/`: a static page (web/, bundled by esbuild, uPlot included) whose
// script calls the API with the key the user gives it. The page and its assets are open and
// left out of the OpenAPI document; the data calls carry the user's key like any client.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bundle, hasSources, readDist, sourceHash, type WebFiles } from '../../web/build.ts'
import { HttpProblem } from '../errors.ts'

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
}

// Everything the page loads comes from the service itself: it works offline, and nothing else
// may run in it. uPlot sets styles through the CSSOM, which style-src does not restrict.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

interface Asset {
  body: Buffer
  type: string
  etag: string
}

async function loadFiles(app: FastifyInstance): Promise<WebFiles | null> {
  if (!hasSources()) {
    app.log.warn('dashboard: web/ sources are missing, / will answer 503')
    return null
  }
  const hash = await sourceHash()
  const built = await readDist(hash)
  if (built) return built
  const started = Date.now()
  // esbuild is a dev dependency: a production install serves web/dist as built, or nothing.
  const files = await bundle().catch((err: unknown) => {
    app.log.warn({ err }, 'dashboard: web/dist is missing or stale and cannot be bundled here, / will answer 503')
    return null
  })
  if (files) app.log.info({ ms: Date.now() - started }, 'dashboard: web/dist is missing or stale, bundled the page in memory (npm run build:web writes it)')
  return files
}

export default async function dashboard(app: FastifyInstance) {
  const files = await loadFiles(app)
  const assets = new Map<string, Asset>()
  for (const [name, body] of Object.entries(files ?? {})) {
    const type = TYPES[name]
    if (type) assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }

  const serve = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = assets.get(name)
    if (!asset) throw new HttpProblem(503, 'Service Unavailable', 'the dashboard is not built: run npm run build:web (or install with npm ci)')
    reply
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
    if (name === 'index.html') reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY')
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    return reply.type(asset.type).send(asset.body)
  }

  const options = { config: { role: 'open' as const }, schema: { hide: true } }
  app.get('/', options, serve('index.html'))
  app.get('/dashboard/app.js', options, serve('app.js'))
  app.get('/dashboard/app.css', options, serve('app.css'))
}
