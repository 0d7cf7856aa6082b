// Scheduled training over HTTP on the suite's backend: cron and tz validated with 400s, admin
// only, stored as pg-boss schedules, and each run queues a normal job (a row in `jobs`) that the
// worker trains like any other. A real cron tick comes at most once a minute, so the run is
// driven by sending the schedule's own pg-boss job, as pg-boss' cron pass does.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { bossFor, SCHEDULE_QUEUE } from '../src/jobs/boss.ts'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ADMIN = 'admin-key-0123456789abcdef'
const READ = 'read-key-0123456789abcdef0'
const as = (key: string) => ({ authorization: `Bearer ${key}` })

t.test(`schedules on ${backend}`, async (t) => {
  const { app } = await testApp(t, { apiKeys: [{ role: 'admin', key: ADMIN }, { role: 'read', key: READ }] })
  const post = (payload: unknown, key = ADMIN) => app.inject({ method: 'POST', url: '/schedules', payload: payload as object, headers: as(key) })

  t.equal((await post({ name: 'nightly', cron: '0 3 * * *' })).statusCode, 422, 'no dataset yet: the train body could never run')
  const up = await app.inject({ method: 'POST', url: '/datasets', headers: { ...as(ADMIN), 'content-type': 'application/gzip' }, payload: readFileSync('test/fixtures/online_retail_sample_445.csv.gz') })
  t.equal(up.statusCode, 201)

  t.test('bad cron, bad tz, bad names: clear 400s', async (t) => {
    const bad = await post({ name: 'x', cron: 'every night' })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { detail: /invalid cron expression "every night"/, errors: [{ path: 'body.cron' }] })
    const tz = await post({ name: 'x', cron: '0 3 * * *', tz: 'Mars/Olympus' })
    t.equal(tz.statusCode, 400)
    t.match(tz.json(), { detail: /unknown time zone "Mars\/Olympus"/, errors: [{ path: 'body.tz' }] })
    t.equal((await post({ name: 'a b', cron: '0 3 * * *' })).statusCode, 400, 'a name with a space')
    t.equal((await post({ name: 'x', cron: '0 3 * * *', train: { k: 99 } })).statusCode, 400, 'the train body is checked like POST /train')
    t.equal((await post({ name: 'x', cron: '0 3 * * *', extra: 1 })).statusCode, 400)
  })

  t.test('admin only', async (t) => {
    t.equal((await post({ name: 'x', cron: '0 3 * * *' }, READ)).statusCode, 403)
    t.equal((await app.inject({ url: '/schedules', headers: as(READ) })).statusCode, 403)
    t.equal((await app.inject({ url: '/schedules' })).statusCode, 401)
  })

  t.test('create, list, replace, delete', async (t) => {
    const made = await post({ name: 'weekly', cron: '30 2 * * 1', tz: 'Europe/London', train: { k: 3, seed: 9, activate: 'never' } })
    t.equal(made.statusCode, 201)
    const s = made.json()
    t.match(s, { name: 'weekly', cron: '30 2 * * 1', tz: 'Europe/London', train: { k: 3, seed: 9, activate: 'never' } })
    t.equal(s.next.length, 3)
    // Mondays 02:30 London time: 01:30 or 02:30 UTC by daylight saving, a week apart.
    for (const at of s.next) {
      const d = new Date(at)
      t.ok(d.getUTCDay() === 1 && d.getUTCMinutes() === 30 && [1, 2].includes(d.getUTCHours()), `${at} is a Monday 02:30 in London`)
    }
    t.equal(new Date(s.next[1]).getTime() - new Date(s.next[0]).getTime() >= 6.9 * 86400_000, true)
    t.equal((await post({ name: 'daily', cron: '0 4 * * *' })).statusCode, 201, 'tz defaults to UTC')
    const list = (await app.inject({ url: '/schedules', headers: as(ADMIN) })).json()
    t.same(list.map((x: { name: string; tz: string }) => [x.name, x.tz]), [['daily', 'UTC'], ['weekly', 'Europe/London']])
    t.equal((await post({ name: 'daily', cron: '0 5 * * *' })).json().cron, '0 5 * * *', 'the same name replaces')
    t.equal((await app.inject({ method: 'DELETE', url: '/schedules/daily', headers: as(ADMIN) })).statusCode, 204)
    t.equal((await app.inject({ method: 'DELETE', url: '/schedules/daily', headers: as(ADMIN) })).statusCode, 404)
    t.same((await app.inject({ url: '/schedules', headers: as(ADMIN) })).json().map((x: { name: string }) => x.name), ['weekly'])
  })

  t.test('a run queues a normal job that trains', async (t) => {
    const boss = await bossFor(app.db)
    const [stored] = await boss.getSchedules(SCHEDULE_QUEUE, 'weekly')
    await boss.send(SCHEDULE_QUEUE, stored!.data as object)
    let job: any
    for (let i = 0; i < 600 && !['succeeded', 'failed'].includes(job?.status); i++) {
      await sleep(200)
      job = (await app.inject({ url: '/jobs', headers: as(READ) })).json()[0]
    }
    t.match(job, { status: 'succeeded', attempts: 1, params: { k: 3, seed: 9, activate: 'never' } }, 'trained like POST /train')
    t.ok(job.log.some((l: { message: string }) => l.message === 'queued by schedule weekly'), 'its log names the schedule')
    t.ok(job.modelVersion > 0)
  })

  t.test('"every Monday 06:00, the last 12 months" is one schedule', async (t) => {
    const made = await post({ name: 'monday-12m', cron: '0 6 * * 1', train: { window: { months: 12 }, activate: 'never' } })
    t.equal(made.statusCode, 201, made.body)
    t.match(made.json().train, { window: { months: 12 }, activate: 'never' })
    for (const at of made.json().next) t.ok(new Date(at).getUTCDay() === 1 && at.endsWith('T06:00:00.000Z'), `${at} is a Monday 06:00 UTC`)
    const bad = await post({ name: 'bad-window', cron: '0 6 * * 1', train: { window: { months: 0 } } })
    t.equal(bad.statusCode, 400, 'a bad window is refused like POST /train')
    t.match(bad.json(), { errors: [{ path: 'body.train.window.months' }] })
    t.equal((await post({ name: 'bad-window', cron: '0 6 * * 1', train: { window: { days: 1 }, asOf: '2009-01-01' } })).statusCode, 422, 'a window that holds no customer')

    const boss = await bossFor(app.db)
    const [stored] = await boss.getSchedules(SCHEDULE_QUEUE, 'monday-12m')
    await boss.send(SCHEDULE_QUEUE, stored!.data as object)
    let job: any
    for (let i = 0; i < 600 && !(job?.params?.window && ['succeeded', 'failed'].includes(job.status)); i++) {
      await sleep(200)
      job = (await app.inject({ url: '/jobs', headers: as(READ) })).json()[0]
    }
    t.match(job, { status: 'succeeded', params: { window: { months: 12 }, activate: 'never' } }, 'the run trains on the window')
    const model = (await app.inject({ url: `/models/${job.modelVersion}`, headers: as(READ) })).json()
    // The sample's last invoice day is 2011-12-09: 12 months back, 2010-12-09 excluded.
    t.same(model.window, { months: 12, from: '2010-12-10', to: '2011-12-09' })
  })
})
