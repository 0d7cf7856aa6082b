// Every error leaves the service as application/problem+json (RFC 9457). Client mistakes get
// their own status and a readable detail; anything unexpected is logged and answered with a
// plain 500 that carries the request id, never a stack trace.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { HttpProblem } from '../errors.ts'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

export function sendProblem(reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const body: Record<string, unknown> = { type: problem.type, title: problem.title, status: problem.status, detail: problem.detail }
  if (problem.errors) body.errors = problem.errors
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(problem.status).type('application/problem+json').send(body)
}

interface AjvError {
  keyword: string
  instancePath: string
  message?: string
  params?: Record<string, unknown>
}

/**
 * Validation errors as a person can act on them: an enum or a union of constants names its allowed
 * values (`body.recipe must be one of default, seed`), an unknown property is named, a missing
 * one too. TypeBox unions reach ajv as anyOf of consts: their per-branch errors are merged.
 */
function fromValidation(err: FastifyError): HttpProblem {
  const list = (err.validation ?? []) as AjvError[]
  const context = err.validationContext ?? 'body'
  const at = (v: AjvError) => `${context}${v.instancePath.replaceAll('/', '.')}`
  const alternatives = new Map<string, string[]>()
  const others = new Map<string, string[]>()
  const errors: { path: string; message: string }[] = []
  for (const v of list) {
    const p = v.params ?? {}
    if (v.keyword === 'const' || v.keyword === 'enum') {
      const values = v.keyword === 'const' ? [p.allowedValue] : ((p.allowedValues as unknown[]) ?? [])
      const key = at(v)
      alternatives.set(key, [...(alternatives.get(key) ?? []), ...values.map(String)])
    } else if (v.keyword === 'anyOf') {
      // Said by the branches' own errors.
    } else if (v.keyword === 'required') {
      errors.push({ path: `${at(v)}.${String(p.missingProperty)}`, message: 'is required' })
    } else if (v.keyword === 'additionalProperties') {
      errors.push({ path: `${at(v)}.${String(p.additionalProperty)}`, message: `is not a known property: remove "${String(p.additionalProperty)}" (check its spelling)` })
    } else {
      const key = at(v)
      others.set(key, [...(others.get(key) ?? []), v.message ?? 'is invalid'])
    }
  }
  for (const [path, values] of alternatives) {
    const rest = others.get(path)
    others.delete(path)
    errors.push({ path, message: `must be one of ${[...new Set(values)].join(', ')}${rest ? `, or a value that ${[...new Set(rest)].join(' and ')}` : ''}` })
  }
  for (const [path, messages] of others) errors.push({ path, message: [...new Set(messages)].join('; ') })
  if (errors.length === 0) errors.push({ path: context, message: err.message })
  return new HttpProblem(400, 'Bad Request', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors)
}

const UPLOAD_TYPES = 'text/csv, application/gzip (or Content-Encoding: gzip), application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, multipart/form-data (field "file")'

/** A 415 says what is accepted. */
function withAcceptedTypes(problem: HttpProblem, url: string | undefined): HttpProblem {
  if (problem.status !== 415 || /accepted content types/.test(problem.detail)) return problem
  const accepted = url === '/datasets' ? UPLOAD_TYPES : 'application/json'
  return new HttpProblem(415, problem.title, `${problem.detail.replace(/\.?$/, '')}. Accepted content types: ${accepted}`, problem.errors)
}

const DATABASE_RETRY_AFTER_S = 5
// Connection failures of pg (node error codes, SQLSTATE class 08, shutdown 57P0x, too many
// connections) and of Prisma (P1001 unreachable, P1002 timeout, P1017 closed, P2024 pool timeout).
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', 'P1001', 'P1002', 'P1017', 'P2024'])
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'])
const UNAVAILABLE_MESSAGE = /Connection terminated|not queryable|Can't reach database server|Server has closed the connection|timeout exceeded when trying to connect/i

/** Whether an error says the database cannot be reached (rather than that a query is wrong). */
export function databaseUnavailable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 4) return false
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } } }
  const adapter = e.meta?.driverAdapterError?.cause
  const code = typeof e.code === 'string' ? e.code : ''
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return true
  if (UNAVAILABLE_KINDS.has(String(adapter?.kind)) || UNAVAILABLE_CODES.has(String(adapter?.originalCode)) || String(adapter?.originalCode).startsWith('08')) return true
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true
  return databaseUnavailable(e.cause, depth + 1)
}

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let problem: HttpProblem
    if (err instanceof HttpProblem) problem = err
    else if (err.validation) problem = fromValidation(err)
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      problem = new HttpProblem(err.statusCode, TITLES[err.statusCode] ?? 'Bad Request', err.message)
    } else if (databaseUnavailable(err)) {
      // The database is down or restarting: a condition to retry, not a bug (test/faults.test.ts).
      request.log.warn({ err }, 'database unavailable')
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_S))
      problem = new HttpProblem(503, 'Service Unavailable', `the database is unreachable; retry in ${DATABASE_RETRY_AFTER_S} s`)
    } else {
      request.log.error({ err }, 'unhandled error')
      problem = new HttpProblem(500, 'Internal Server Error', `unexpected error; quote request id ${request.id} when reporting it`)
    }
    problem = withAcceptedTypes(problem, request.routeOptions.url)
    if (problem.status >= 500) reply.header('cache-control', 'no-store')
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new HttpProblem(404, 'Not Found', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  )
})
