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

function fromValidation(err: FastifyError): HttpProblem {
  const errors = (err.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty
    const base = `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`
    return { path: missing ? `${base}.${missing}` : base, message: v.message ?? 'is invalid' }
  })
  return new HttpProblem(400, 'Bad Request', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors)
}

export default fp(async function errors(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let problem: HttpProblem
    if (err instanceof HttpProblem) problem = err
    else if (err.validation) problem = fromValidation(err)
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      problem = new HttpProblem(err.statusCode, TITLES[err.statusCode] ?? 'Bad Request', err.message)
    } else {
      request.log.error({ err }, 'unhandled error')
      problem = new HttpProblem(500, 'Internal Server Error', `unexpected error; quote request id ${request.id} when reporting it`)
    }
    if (problem.status >= 500) reply.header('cache-control', 'no-store')
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, new HttpProblem(404, 'Not Found', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  )
})
