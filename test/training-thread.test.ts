// Training in a worker thread (src/training/thread.ts), as the API's inline worker runs it: the
// same Training as in the main thread, through the relayed database on the suite's backend; the
// API's event loop serves requests while the thread models (and does not when the training runs
// in the main thread); a failed stage, an abort and too little data end it as they would in the
// main thread; a worker that stops mid-training ends the thread and hands the job back, and the
// next worker trains it. A model saved with the rows and reference the thread made is stored
// exactly as one saved from the main thread's own; a thread ended before the save fails it.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { enqueue, getJob } from '../src/jobs/queue.ts'
import { trainingJob } from '../src/jobs/train-job.ts'
import { startWorker, type JobHandler } from '../src/jobs/worker.ts'
import { modelParams } from '../src/training/params.ts'
import { runTrainingInThread, trainInThread } from '../src/training/thread.ts'
import { loadBundle, saveModel } from '../src/registry/save.ts'
import { runTraining, TooLittleData, type Training, type TrainingHooks } from '../src/training/train.ts'
import { testApp } from './helpers/app.ts'
import { backend } from './helpers/db.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A Training without its step timings (the only part that differs from one run to the next). */
function untimed(training: Training) {
  const { timingsMs: _timings, ...report } = training.result.report
  return { ...training, result: { ...training.result, report } }
}

t.test(`training thread on ${backend}`, async (t) => {
  // No inline worker: the jobs below are run by the workers this test starts.
  const { app } = await testApp(t, { worker: 'off' })
  const ds = (await app.inject({ method: 'POST', url: '/datasets', payload: SAMPLE, headers: { 'content-type': 'application/gzip' } })).json()
  t.equal(ds.customers, 445)
  const params = { ...modelParams({}), datasetIds: [ds.id as string] }

  t.test('the same Training as in the main thread: stored features, and a rebuild from the transactions (COPY relayed)', async (t) => {
    for (const p of [params, { ...params, asOf: '2011-09-30' }]) {
      const stages: string[] = []
      const inThread = await runTrainingInThread(app.db, p, { stage: async (s) => { stages.push(s) } })
      const here = await runTraining(app.db, p)
      t.same(untimed(inThread), untimed(here), `identical for ${JSON.stringify(p.asOf ?? 'the data\'s end')}`)
      t.same(Array.from(inThread.table.values), Array.from(here.table.values), 'every feature value bit for bit')
      t.same(stages, ['modelling', 'value'], 'the stages reach the main thread')
      t.ok(inThread.table === inThread.build.default, 'the table is still the build\'s own (one structured clone)')
    }
  })

  t.test('requests are served while the thread models; none while the main thread does', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as AddressInfo).port
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    t.teardown(() => agent.destroy())
    const get = () => new Promise<number>((resolve, reject) => {
      http.get({ agent, port, host: '127.0.0.1', path: '/health/live' }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      }).on('error', reject)
    })
    /** Requests answered in each stage of one training, sent one after another until it ends. */
    const servedDuring = async (train: (hooks: TrainingHooks) => Promise<Training>) => {
      let stage = 'loading'
      const served: Record<string, number> = {}
      let over = false
      const client = (async () => {
        const deadline = Date.now() + 120_000
        while (!over && Date.now() < deadline) {
          const status = await get()
          const key = status === 200 ? stage : `${status} in ${stage}`
          served[key] = (served[key] ?? 0) + 1
          // A loop of nothing but requests would starve no one, but keep it polite.
          await sleep(1)
        }
      })()
      await train({ stage: async (s) => { stage = s } }).finally(() => { over = true })
      await client
      return served
    }
    const threaded = await servedDuring((hooks) => runTrainingInThread(app.db, params, hooks))
    t.ok((threaded.modelling ?? 0) >= 1, `served while the thread modelled: ${JSON.stringify(threaded)}`)
    t.ok(Object.keys(threaded).every((k) => !k.includes(' in ')), 'every answer a 200')
    const main = await servedDuring((hooks) => runTraining(app.db, params, hooks))
    t.equal(main.modelling ?? 0, 0, `none while the main thread modelled (the pipeline's train is one synchronous block): ${JSON.stringify(main)}`)
  })

  t.test('a stage that throws, an abort, and too little data end the training as in the main thread', async (t) => {
    const stages: string[] = []
    const cancelled = await runTrainingInThread(app.db, params, {
      stage: async (s) => {
        stages.push(s)
        throw new Error('cancelled at a stage boundary')
      },
    }).catch((e: unknown) => e)
    t.match(cancelled, { message: 'cancelled at a stage boundary' })
    t.same(stages, ['modelling'], 'nothing after the stage that threw')

    const abort = new AbortController()
    const seen: string[] = []
    const aborted = await runTrainingInThread(app.db, params, {
      signal: abort.signal,
      // Aborted while the stage is being recorded: the thread is ended before it models.
      stage: async (s) => {
        seen.push(s)
        abort.abort(new Error('worker stopping'))
      },
    }).catch((e: unknown) => e)
    t.match(aborted, { message: 'worker stopping' })
    t.same(seen, ['modelling'])

    const little = await runTrainingInThread(app.db, { ...params, k: 300 }).catch((e: unknown) => e)
    t.ok(little instanceof TooLittleData, 'TooLittleData stays TooLittleData (the job fails without a retry)')
    t.match(little, { message: /at least 600 are needed/ })
  })

  t.test('a worker that stops mid-training ends the thread and hands the job back; the next worker trains it', async (t) => {
    const { job } = await enqueue(app.db, { ...params, activate: 'always' })
    const train = trainingJob(app.db, undefined, { thread: true })
    let stopping: Promise<void> | null = null
    // The first worker is told to stop once its training is in the modelling stage.
    const stopAtModelling: JobHandler = (p, ctx) => train(p, {
      ...ctx,
      signal: ctx.signal,
      stage: async (name, progress) => {
        await ctx.stage(name, progress)
        if (name === 'modelling') stopping = first.stop()
      },
    })
    const first = startWorker(app.db, stopAtModelling, { pollMs: 20, id: 'first' })
    const until = async (ok: (j: Awaited<ReturnType<typeof getJob>>) => boolean) => {
      const deadline = Date.now() + 60_000
      for (;;) {
        const j = await getJob(app.db, job.id)
        if (ok(j) || Date.now() > deadline) return j
        await sleep(50)
      }
    }
    await until(() => stopping !== null)
    t.ok(stopping, 'the first worker reached the modelling stage')
    await stopping
    const released = await getJob(app.db, job.id)
    t.match(released, { status: 'queued', attempts: 0, modelVersion: null }, 'back in the queue, the attempt not counted')
    t.ok(released.log.some((l) => l.message === 'worker shut down; job queued again'))
    t.equal((await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions'))[0]?.n, 0, 'no model was saved')

    const second = startWorker(app.db, train, { pollMs: 20, id: 'second' })
    t.teardown(() => second.stop())
    const done = await until((j) => !['queued', 'running'].includes(j.status))
    t.match(done, { status: 'succeeded', attempts: 1, modelVersion: 1 }, 'trained by the next worker')
    t.ok(done.log.some((l) => l.message === 'claimed by second'))
  })

  t.test('saved with the parts the thread made: the same rows and columns as saved from the main thread', async (t) => {
    const datasets = [{ id: ds.id as string, sha256: ds.sha256 as string, name: ds.name as string }]
    const save = (training: Training, parts?: Parameters<typeof saveModel>[1]['parts']) =>
      saveModel(app.db, { training, params, datasets, jobId: null, activate: 'never', actor: 'test', parts })
    const trained = await trainInThread(app.db, params)
    const fromThread = await save(trained.training, trained.parts).finally(() => trained.close())
    const here = await save(await runTraining(app.db, params))
    // Each row as Postgres prints it (doubles in their shortest exact form), its version cut off.
    const rows = async (table: string, version: number) => (await app.db.query<{ r: string }>(
      `SELECT x::text AS r FROM ${table} x WHERE version = $1 ORDER BY customer_id`, [version])).map((x) => x.r.replace(/^\(\d+,/, '('))
    for (const table of ['assignments', 'customer_values']) {
      const [a, b] = [await rows(table, fromThread.version), await rows(table, here.version)]
      t.equal(a.length, trained.training.table.customerIds.length, `${table}: one row per trained customer`)
      t.same(a, b, `${table}: identical rows`)
    }
    const columns = async (version: number) => (await app.db.query<Record<string, string>>(
      `SELECT reference::text AS reference, bundle::text AS bundle, value::text AS value, evaluation::text AS evaluation, metrics::text AS metrics,
         cleaning::text AS cleaning, k, customers FROM model_versions WHERE version = $1`, [version]))[0]
    const [a, b] = [await columns(fromThread.version), await columns(here.version)]
    t.ok(a?.reference && a.value, 'a reference and a value model were stored')
    t.same(a, b, 'reference, bundle, value model, metrics: identical')

    // With a model to match segment ids to: the thread reads and parses its bundle itself.
    const matched = await runTrainingInThread(app.db, { ...params, seed: 7 }, { previousVersion: here.version })
    const matchedHere = await runTraining(app.db, { ...params, seed: 7 }, { previous: (await loadBundle(app.db, here.version))! })
    t.equal(matched.result.bundle.labelOrder.matchedToPrevious, true, 'segment ids matched to the previous model')
    t.same(untimed(matched), untimed(matchedHere), 'the same Training against a previous model read in the thread')

    // The thread ended before the save: the rows cannot be made, and nothing is saved.
    const ended = await trainInThread(app.db, params)
    await ended.close()
    const before = (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions'))[0]?.n
    await t.rejects(save(ended.training, ended.parts), /training thread exited/)
    t.equal((await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions'))[0]?.n, before, 'no version left behind')
  })
})
