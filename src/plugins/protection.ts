// What stands between the network and the routes: security headers (OWASP's set for API
// responses; helmet's, with a CSP that Swagger UI works under, for the pages at /docs and the
// dashboard), a rate limit on write routes, load shedding when the process is overloaded, body
// limits per route, and socket timeouts.
//
// - Write routes (any non-GET route outside /predict: uploads, delete, train, cancel, activate)
//   share one budget of RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS per client address;
//   beyond it 429 problem+json with Retry-After. Reads and predictions are not limited.
// - Under pressure (mean event-loop delay over MAX_EVENT_LOOP_DELAY_MS in two consecutive
//   one-second samples, or heap use over MAX_HEAP_USED_PERCENT of V8's limit) every request but
//   /health/live and /metrics gets 503 problem+json with Retry-After.
// - JSON bodies: 64 KiB, except predictions (MAX_JSON_BYTES, default 10 MiB: a customer's raw
//   transactions can be long). Uploads stream and are metered by MAX_UPLOAD_BYTES instead; a
//   route that sets its own bodyLimit keeps it.
// - REQUEST_TIMEOUT_MS bounds how long a whole request may take to arrive (10 min by default,
//   enough for 200 MiB at 350 kB/s), CONNECTION_TIMEOUT_MS closes idle sockets.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import helmet, { type HelmetOptions } from 'helmet'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { HttpProblem } from '../errors.ts'

export const SMALL_JSON_BYTES = 64 * 1024
/** Seconds a client is told to wait when the process sheds load. */
export const PRESSURE_RETRY_AFTER_S = 5
const PRESSURE_EXEMPT = new Set(['/health/live', '/metrics'])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const hooksOf = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])

const methods = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method])

/** Upload, delete, train, cancel, activate, and any later non-GET route outside /predict. */
export function isWriteRoute(route: Pick<RouteOptions, 'method' | 'url'>): boolean {
  return methods(route as RouteOptions).some((m) => !SAFE_METHODS.has(m)) && !route.url.startsWith('/predict')
}

function bodyLimitFor(route: RouteOptions, config: Config): number | undefined {
  if (route.bodyLimit !== undefined) return undefined // the route decided
  if (route.url === '/datasets') return undefined // a stream, metered by MAX_UPLOAD_BYTES
  return route.url.startsWith('/predict') ? config.maxJsonBytes : SMALL_JSON_BYTES
}

const notFinite = (v: unknown) => typeof v === 'number' && !Number.isFinite(v)

function nonFinite(where: string, values: unknown): void {
  if (values === null || typeof values !== 'object') return
  // for-in, not Object.entries: this runs on every request, most with nothing to check.
  for (const key in values) {
    const value = (values as Record<string, unknown>)[key]
    if (notFinite(value) || (Array.isArray(value) && value.some(notFinite))) {
      throw new HttpProblem(400, 'Bad Request', `${where}.${key} must be a finite number`, [{ path: `${where}.${key}`, message: 'must be a finite number' }])
    }
  }
}

/** helmet's headers for the HTML pages: Swagger UI at /docs and the dashboard. */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      // Swagger UI (React) sets style attributes; no inline script is allowed anywhere.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'self'"],
      formAction: ["'self'"],
      // No upgrade-insecure-requests: the service speaks plain HTTP behind whatever terminates TLS.
    },
  },
}

/**
 * The headers of every other response (JSON, CSV, problem+json, 404s): the set the OWASP REST
 * Security Cheat Sheet ("Security Headers") gives for API responses. helmet's other headers act
 * on HTML documents only (referrer, opener, DNS prefetch, download and cross-domain policies);
 * on a JSON answer they were 450 of its 640 header bytes, which the client parses on every
 * response (docs/benchmarks.md, "Request overhead").
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
}

/** Routes that serve HTML pages or their assets: they get helmet's headers. */
export function isPageRoute(url: string): boolean {
  return url === '/' || url.startsWith('/docs') || url.startsWith('/dashboard/')
}

/** The headers helmet's middleware sets, captured once (they are the same for every request). */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader(name: string, value: unknown) { headers[name.toLowerCase()] = String(value) },
    removeHeader(name: string) { delete headers[name.toLowerCase()] },
  }
  let called = false
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => { called = true })
  if (!called) throw new Error('helmet did not finish synchronously')
  return headers
}

/**
 * The headers do not depend on the request: computed once at start-up and set with one call per
 * request (the @fastify/helmet plugin ran helmet's middleware per request, ~4 % of the server's
 * time under load; docs/benchmarks.md, "Request overhead"). Every response gets the API set (a
 * 404 has no route); a page's route then swaps in helmet's. Routes may still set their own (the
 * dashboard's stricter CSP).
 */
function securityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(API_HEADERS)
    done()
  })
  const pageHeaders = helmetHeaders(HELMET_OPTIONS)
  const pageOnly = Object.keys(API_HEADERS).filter((name) => !(name in pageHeaders))
  const asPage = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    for (const name of pageOnly) reply.removeHeader(name)
    reply.headers(pageHeaders)
    done()
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    if (isPageRoute(route.url)) route.onRequest = [...hooksOf(route.onRequest), asPage]
  })
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`)

export default fp(async function protection(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts

  // Socket timeouts on the server Fastify already created (inject does not use them).
  app.server.requestTimeout = config.requestTimeoutMs
  // Node requires headersTimeout ≤ requestTimeout; its own default is 60 s.
  app.server.headersTimeout = config.requestTimeoutMs === 0 ? 60_000 : Math.min(60_000, config.requestTimeoutMs)
  app.server.keepAliveTimeout = config.keepAliveTimeoutMs
  app.server.setTimeout(config.connectionTimeoutMs)

  securityHeaders(app)

  if (config.rateLimitMax > 0) {
    await app.register(rateLimit, { global: false })
    const limiter = app.rateLimit({
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      errorResponseBuilder: (_request, ctx) =>
        new HttpProblem(429, 'Too Many Requests', `more than ${ctx.max} write requests in ${seconds(config.rateLimitWindowMs)} from this address; retry in ${ctx.after}`),
    })
    app.addHook('onRoute', (route: RouteOptions) => {
      if (!isWriteRoute(route)) return
      route.onRequest = [...hooksOf(route.onRequest), limiter]
    })
  }

  // ajv (8.x, with coerceTypes) turns "1e400" or "Infinity" in a query or path into Infinity and then
  // skips minimum and maximum, so ?limit=1e400 would pass a schema that says at most 1000.
  app.addHook('preHandler', (request, _reply, done) => {
    try {
      nonFinite('querystring', request.query)
      nonFinite('params', request.params)
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  })

  app.addHook('onRoute', (route: RouteOptions) => {
    const limit = bodyLimitFor(route, config)
    if (limit !== undefined) route.bodyLimit = limit
  })

  if (config.maxEventLoopDelayMs > 0 || config.maxHeapUsedPercent > 0) {
    const lag = new LagMonitor(config.maxEventLoopDelayMs)
    app.addHook('onClose', async () => lag.stop())
    let lastWarned = 0
    await app.register(underPressure, {
      maxHeapUsedBytes: config.maxHeapUsedPercent > 0 ? Math.floor((getHeapStatistics().heap_size_limit * config.maxHeapUsedPercent) / 100) : 0,
      // The event-loop check is ours (see LagMonitor), run as under-pressure's health check.
      ...(config.maxEventLoopDelayMs > 0 ? { healthCheck: async () => lag.sample(), healthCheckInterval: 1000 } : {}),
      pressureHandler: async (request: FastifyRequest, reply, type, value) => {
        if (PRESSURE_EXEMPT.has(request.routeOptions.url ?? '')) return
        reply.header('retry-after', String(PRESSURE_RETRY_AFTER_S))
        const what = type === 'heapUsedBytes' ? `heap use at ${Math.round(Number(value) / 2 ** 20)} MiB` : `event-loop delay at ${Math.round(lag.lastMs)} ms`
        if (Date.now() - lastWarned > 1000) {
          lastWarned = Date.now()
          request.log.warn({ type, value: value ?? lag.lastMs }, 'shedding load')
        }
        throw new HttpProblem(503, 'Service Unavailable', `the service is overloaded (${what}); retry in ${PRESSURE_RETRY_AFTER_S} s`)
      },
    })
  }
})

/**
 * Event-loop lag that lasts. under-pressure's own check sheds load for a second after any single
 * long block (PGlite starting up, an inline training step), when the block is already over and
 * the queued requests could be served; this one needs the mean delay of two consecutive
 * one-second samples above the limit, which sustained overload gives and a one-off block does not.
 */
class LagMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 })
  private over = 0
  lastMs = 0

  private readonly maxMs: number
  constructor(maxMs: number) {
    this.maxMs = maxMs
    this.histogram.enable()
  
  }

  /** Takes a sample; false (unhealthy) when this one and the previous are over the limit. */
  sample(): boolean {
    const mean = this.histogram.mean / 1e6 - 10
    this.histogram.reset()
    this.lastMs = Number.isFinite(mean) ? Math.max(0, mean) : 0
    this.over = this.lastMs > this.maxMs ? this.over + 1 : 0
    return this.over < 2
  }

  stop(): void {
    this.histogram.disable()
  }
}
