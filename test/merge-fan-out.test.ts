// The merge fanned out into merge-range jobs (issue 14 point 4), on the sample cut in three
// overlapping datasets (some customers rebuilt from their rows) merged in many small ranges:
// a part survives v8.serialize bit for bit; the coordinator alone, and with a second worker
// (startWorker with mergeRanges, on its own database handle where the backend allows one) taking
// some of the ranges, gives the in-process loop's build bit for bit, over all days and over a
// window; a range that fails on every attempt makes the coordinator reject with the range's
// error, as does an abort; merge_parts is empty after each, and no range job is left queued.
import t from 'tap'
import { splitRange, type MergedPart } from '../src/aggregates/index.ts'
import { openDatabase, type Database } from '../src/db/database.ts'
import { bossFor, MERGE_QUEUE } from '../src/jobs/boss.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { BuildResult } from '../src/pipeline/features.ts'
import { loadAggregates, mergeStored } from '../src/training/aggregates.ts'
import { cachedAggregates, dropCachedAggregates, partBytes, partOf, type RangeJob } from '../src/training/merge-jobs.ts'
import { mergeRange } from '../src/training/merge-range.ts'
import { DAY_MS } from '../src/pipeline/calendar.ts'
import { testApp } from './helpers/app.ts'
import { backend } from './helpers/db.ts'
import { overlappingParts, SAMPLE_DATA } from './helpers/data.ts'

const raw = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')

/** The bytes of every float and int array of a build: equal strings are equal bits. */
function bits(b: BuildResult): string[] {
  const p = b.purchaseDays!
  return [raw(b.original.values), raw(b.default.values), raw(b.baskets.offsets), raw(b.baskets.items), raw(p.offsets), raw(p.days), raw(p.values)]
}

const partsLeft = async (db: Database) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM merge_parts'))[0]!.n

t.test(`merge fan-out by customer-hash range, ${backend}`, async (t) => {
  const { app, config } = await testApp(t, { worker: 'off' })
  const db = app.db
  const ids: string[] = []
  for (const part of overlappingParts(SAMPLE_DATA)) {
    const res = await app.inject({ method: 'POST', url: '/datasets', payload: part, headers: { 'content-type': 'text/csv' } })
    t.equal(res.statusCode, 201, 'uploaded')
    ids.push(res.json().id as string)
  }
  const stored = (await loadAggregates(db, ids))!
  const total = stored.reduce((n, b) => n + b.length, 0)
  const K = 16
  const rangeBytes = Math.ceil(total / K)
  const window = { asOf: Date.UTC(2011, 8, 9) / DAY_MS, from: Date.UTC(2011, 3, 4) / DAY_MS }
  const local = await mergeStored(db, ids, stored, {}, rangeBytes)
  const localWindow = await mergeStored(db, ids, stored, window, rangeBytes)
  const boss = await bossFor(db)
  const batches = async () => {
    const jobs = await boss.findJobs<RangeJob>(MERGE_QUEUE, { limit: 10_000 })
    const by = new Map<string, typeof jobs>()
    for (const j of jobs) by.set(j.data.batch, [...(by.get(j.data.batch) ?? []), j])
    return by
  }
  const workerOf = (j: { output: object }) => String((j.output as { worker?: string } | null)?.worker)

  await t.test("the process' copy of the stored bytes: kept between jobs, let go when the merges are over", async (t) => {
    const first = await cachedAggregates(db, ids)
    t.equal(await cachedAggregates(db, ids), first, 'the next job of the batch reads no second copy')
    dropCachedAggregates(ids)
    const again = await cachedAggregates(db, ids)
    t.not(again, first, 'after the drop the bytes are read again')
    t.same(again, first, 'the same bytes')
    dropCachedAggregates(ids)
  })

  await t.test('a part round-trips through v8.serialize bit for bit', async (t) => {
    let rebuilt = 0
    for (const range of splitRange(K)) {
      const part = await mergeRange(db, ids, stored, window, range)
      rebuilt += part.rebuilt.length
      const back = partOf(partBytes(part))
      t.same(back, part, `range ${range.lo}: deep-equal`)
      const arrays = (p: MergedPart) => [p.seed, p.default, p.basketOffsets, p.purchaseOffsets, p.purchaseDays, p.purchaseValues].map(raw)
      t.same(arrays(back), arrays(part), `range ${range.lo}: its typed arrays bit for bit`)
      t.ok(Object.is(back.maxDay, part.maxDay) && back.products.every((q, i) => q.descriptions instanceof Map && q.descriptions.size === part.products[i]!.descriptions.size), `range ${range.lo}: maxDay and the description Maps kept`)
    }
    t.ok(rebuilt > 0, `${rebuilt} customers rebuilt from their rows: the jobs read transactions too`)
  })

  await t.test('the coordinator alone: the in-process merge bit for bit, its parts deleted', async (t) => {
    const before = new Set((await batches()).keys())
    const fanned = await mergeStored(db, ids, stored, {}, rangeBytes, {})
    t.same(fanned, local, 'the same build (tables, cleaning, baskets, purchase days)')
    t.same(bits(fanned), bits(local), 'every array bit for bit')
    const windowed = await mergeStored(db, ids, stored, window, rangeBytes, {})
    t.same(windowed, localWindow, 'over a window: the same build')
    t.same(bits(windowed), bits(localWindow), 'over a window: bit for bit')
    const mine = [...(await batches()).entries()].filter(([b]) => !before.has(b))
    t.equal(mine.length, 2, 'two batches sent')
    for (const [, jobs] of mine) {
      t.equal(jobs.length, K, `${K} range jobs`)
      t.ok(jobs.every((j) => j.state === 'completed' && workerOf(j).startsWith('coordinator')), 'each completed by the coordinator')
    }
    t.equal(await partsLeft(db), 0, 'no merge_parts rows left')
  })

  await t.test('a second worker takes some of the ranges', async (t) => {
    // Postgres: a database handle of its own (its own pool and pg-boss), as a second process has.
    // PGlite is one process' database: the helper shares the handle.
    const other = backend === 'postgres' ? await openDatabase(config) : db
    const helper = startWorker(other, async () => ({}), { id: 'helper', mergeRanges: true })
    t.teardown(async () => {
      await helper.stop()
      if (other !== db) await other.close()
    })
    // The helper polls every half second: it is not certain to win a range in any one merge.
    let helped = 0
    for (let tries = 1; tries <= 6 && helped === 0; tries++) {
      const before = new Set((await batches()).keys())
      const fanned = await mergeStored(db, ids, stored, tries % 2 === 0 ? window : {}, rangeBytes, {})
      const want = tries % 2 === 0 ? localWindow : local
      t.same(bits(fanned), bits(want), `merge ${tries}: bit for bit the in-process merge`)
      t.same(fanned, want, `merge ${tries}: the same build`)
      const jobs = [...(await batches()).entries()].filter(([b]) => !before.has(b)).flatMap(([, j]) => j)
      t.equal(jobs.length, K, `merge ${tries}: ${K} range jobs`)
      helped = jobs.filter((j) => workerOf(j) === 'helper').length
      t.ok(jobs.every((j) => j.state === 'completed'), `merge ${tries}: all completed, ${helped} by the helper, ${K - helped} by the coordinator`)
      t.equal(await partsLeft(db), 0, `merge ${tries}: no merge_parts rows left`)
    }
    t.ok(helped >= 1, `the second worker ran ${helped} range(s)`)
  })

  await t.test('a range that fails on every attempt: the coordinator rejects, leaves nothing', async (t) => {
    // A dataset without stored aggregates (deleted after the training loaded them): every
    // attempt of every range fails, in whichever process.
    const gone = '00000000-0000-4000-8000-00000000dead'
    const started = Date.now()
    await t.rejects(mergeStored(db, [ids[0]!, gone], [stored[0]!, stored[0]!], {}, rangeBytes, { pollMs: 100 }),
      /merge range \d+ of \d+ failed after 3 attempt\(s\): .*has no stored aggregates/, 'rejects with the range\'s error')
    t.comment(`rejected after ${Date.now() - started} ms`)
    t.equal(await partsLeft(db), 0, 'no merge_parts rows')
    const jobs = await boss.findJobs<RangeJob>(MERGE_QUEUE, { data: { datasetIds: [gone] } })
    t.ok(jobs.length > 1, `${jobs.length} range jobs were sent`)
    t.same(jobs.filter((j) => j.state !== 'failed' && j.state !== 'cancelled').map((j) => j.state), [], 'none left to run: failed or cancelled')
  })

  await t.test('an abort stops the coordinator', async (t) => {
    const gone = '00000000-0000-4000-8000-00000000beef'
    const abort = new AbortController()
    // The ranges fail, so the coordinator is waiting out their retries (seconds) when this comes.
    setTimeout(() => abort.abort(new Error('training stopped')), 300)
    await t.rejects(mergeStored(db, [ids[0]!, gone], [stored[0]!, stored[0]!], {}, rangeBytes, { signal: abort.signal }), /training stopped/)
    t.equal(await partsLeft(db), 0, 'no merge_parts rows')
    const jobs = await boss.findJobs<RangeJob>(MERGE_QUEUE, { data: { datasetIds: [gone] } })
    t.same(jobs.filter((j) => j.state !== 'failed' && j.state !== 'cancelled').map((j) => j.state), [], 'its range jobs cancelled')
  })
})
