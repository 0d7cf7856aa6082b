// POST /train and the wait for its job: the one polling loop of the tests that train through the
// service. Every wait has a deadline; a job that has not ended by then fails the test.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'

export interface JobWait {
  /** Sent with every request (an API key, an idempotency key). */
  headers?: Record<string, string>
  /** How long the job may take (default 300 s). */
  deadlineMs?: number
  /** Time between two looks at the job (default 100 ms). */
  pollMs?: number
}

const ENDED = ['succeeded', 'failed', 'cancelled']

/** POST /train with `body`; throws unless it is accepted (202). */
export async function postTrain(app: FastifyInstance, body: object, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const res = await app.inject({ method: 'POST', url: '/train', payload: body, headers })
  if (res.statusCode !== 202) throw new Error(`POST /train: ${res.statusCode} ${res.body}`)
  return res
}

/** GET /jobs/{id} until the job has ended (succeeded, failed or cancelled): the job. */
export async function waitForJob(app: FastifyInstance, id: string, wait: JobWait = {}): Promise<any> {
  const deadlineMs = wait.deadlineMs ?? 300_000
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const job = (await app.inject({ url: `/jobs/${id}`, headers: wait.headers ?? {} })).json()
    if (ENDED.includes(job.status)) return job
    if (Date.now() > deadline) throw new Error(`job ${id} not finished after ${deadlineMs / 1000} s (${job.status})`)
    await new Promise((r) => setTimeout(r, wait.pollMs ?? 100))
  }
}

/** POST /train, then its job once it has ended. */
export async function trainAndWait(app: FastifyInstance, body: object, wait: JobWait = {}): Promise<any> {
  const res = await postTrain(app, body, wait.headers)
  return waitForJob(app, res.json().id as string, wait)
}
