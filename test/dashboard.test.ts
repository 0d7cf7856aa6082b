// The dashboard (issue 7): GET /segments/map on the API, the page's assets, and the page itself
// in Debian's chromium driven by playwright-core, against a service with keys and a trained
// model: no console errors, every segment shown, a map point per sampled customer, upload →
// train → live progress → the new version, rollback with the admin key from the key field, and
// a screenshot in test-output/dashboard.png (docs/dashboard.png is a copy of it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { chromium, type ConsoleMessage } from 'playwright-core'
import t from 'tap'
import { testApp } from './helpers/app.ts'
import { trainAndWait as trainJob } from './helpers/train.ts'

const SAMPLE = 'test/fixtures/online_retail_sample_445.csv.gz'
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const ADMIN = 'dashboard-test-admin-key'
const READ = 'dashboard-test-read-key'
const asAdmin = { authorization: `Bearer ${ADMIN}` }
const asReader = { authorization: `Bearer ${READ}` }

const trainAndWait = (app: FastifyInstance, body: object) => trainJob(app, body, { headers: asAdmin, deadlineMs: 60_000 })

t.test('dashboard', async (t) => {
  const { app } = await testApp(t, { apiKeys: [{ role: 'admin', key: ADMIN }, { role: 'read', key: READ }] })
  const upload = await app.inject({ method: 'POST', url: '/datasets?name=sample', payload: readFileSync(SAMPLE), headers: { ...asAdmin, 'content-type': 'application/gzip' } })
  t.equal(upload.statusCode, 201)
  const job = await trainAndWait(app, {})
  t.equal(job.status, 'succeeded', job.error ?? '')
  const segments: { id: number; name: string; size: number }[] = (await app.inject({ url: '/segments', headers: asReader })).json()

  t.test('GET /segments/map: first two principal components, a deterministic sample', async (t) => {
    t.equal((await app.inject({ url: '/segments/map' })).statusCode, 401, 'needs a key like the other data routes')
    const res = await app.inject({ url: '/segments/map', headers: asReader })
    t.equal(res.statusCode, 200)
    const map = res.json()
    t.match(map, { modelVersion: 1, customers: 444 })
    t.equal(map.points.length, 444, 'the default sample (2000) covers all 444 customers')
    t.same(map.axes.map((a: { name: string }) => a.name), ['PC1', 'PC2'])
    t.ok(map.axes[0].varianceShare >= map.axes[1].varianceShare && map.axes[0].varianceShare + map.axes[1].varianceShare <= 1 + 1e-9, 'axes in decreasing variance')
    t.same(Object.keys(map.axes[0].loadings).sort(), ['frequency', 'monetary', 'recency_days'], 'loadings on the model columns')
    const served = await app.models.get()
    t.ok(map.points.every((p: { customerId: string; segment: number }) => served.segment[served.index.get(p.customerId)!] === p.segment), 'each point carries its assigned segment')
    const ids = map.points.map((p: { customerId: string }) => p.customerId)
    t.same(ids, [...ids].sort(), 'in customer id order')
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length
    const xs = map.points.map((p: { x: number }) => p.x)
    const ys = map.points.map((p: { y: number }) => p.y)
    t.ok(Math.abs(mean(xs)) < 1e-3 && Math.abs(mean(ys)) < 1e-3, 'centred')
    const variance = (v: number[]) => mean(v.map((x) => x * x))
    t.ok(variance(xs) >= variance(ys), 'x is the first component')
    const totalVar = (map.axes[0].varianceShare + map.axes[1].varianceShare)
    t.ok(totalVar > 0.5, `two axes show most of the variance (${totalVar.toFixed(2)})`)

    const sample = (await app.inject({ url: '/segments/map?sample=100', headers: asReader })).json()
    t.equal(sample.points.length, 100)
    t.same((await app.inject({ url: '/segments/map?sample=100', headers: asReader })).json(), sample, 'the same sample on every call')
    const full = new Map(map.points.map((p: { customerId: string }) => [p.customerId, p]))
    t.ok(sample.points.every((p: { customerId: string }) => JSON.stringify(full.get(p.customerId)) === JSON.stringify(p)), 'a subset of the full map, same coordinates')
    t.equal((await app.inject({ url: '/segments/map?model=99', headers: asReader })).statusCode, 404)
    t.equal((await app.inject({ url: '/segments/map?sample=0', headers: asReader })).statusCode, 400)
  })

  t.test('the page is open, out of the OpenAPI document, and revalidated by ETag', async (t) => {
    const page = await app.inject({ url: '/' })
    t.equal(page.statusCode, 200, 'no key needed for the page itself')
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.headers['content-security-policy'], /default-src 'self'/)
    t.match(page.body, /<script type="module" src="\/dashboard\/app\.js"><\/script>/)
    const js = await app.inject({ url: '/dashboard/app.js' })
    t.equal(js.statusCode, 200)
    t.match(js.headers['content-type'], /^text\/javascript/)
    t.ok(js.body.length > 20_000, 'uPlot is bundled in')
    t.equal((await app.inject({ url: '/dashboard/app.js', headers: { 'if-none-match': js.headers.etag as string } })).statusCode, 304)
    t.equal((await app.inject({ url: '/dashboard/app.css' })).statusCode, 200)
    const doc = (await app.inject({ url: '/openapi.json' })).json()
    t.ok(doc.paths['/segments/map'], '/segments/map is documented')
    t.notOk(doc.paths['/'] || doc.paths['/dashboard/app.js'] || doc.paths['/dashboard/app.css'], 'the page and its assets are not')
  })

  const skip = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`
  t.test('in chromium', { skip }, async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    t.teardown(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(30_000)

    // Console errors. The browser also logs every 4xx answer as "Failed to load resource"; the
    // only ones allowed are those the page expects and explains: 401 before a key is given,
    // and GET /drift answering 404/409 while the service has no drift report.
    const statuses = new Map<string, number>()
    page.on('response', (r) => statuses.set(r.url(), r.status()))
    let errors: string[] = []
    let keyGiven = false
    const expected = (m: ConsoleMessage) => {
      if (!m.text().startsWith('Failed to load resource')) return false
      const url = m.location().url
      const status = statuses.get(url)
      return (!keyGiven && status === 401) || (new URL(url).pathname === '/drift' && (status === 404 || status === 409))
    }
    const explained: string[] = []
    page.on('console', (m) => {
      if (m.type() !== 'error') return
      if (expected(m)) explained.push(`${statuses.get(m.location().url)} ${new URL(m.location().url).pathname}`)
      else errors.push(`${m.text()} (${m.location().url})`)
    })
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))

    await page.goto(base)
    await page.getByRole('alert').filter({ hasText: 'needs an API key' }).waitFor()
    t.pass('without a key the page asks for one')
    await page.keyboard.press('Tab')
    // (Browser-side code is passed as text: the tests are type-checked without the DOM library.)
    t.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content', 'the first Tab reaches the skip link')
    t.equal(await page.evaluate("[...document.querySelectorAll('input, select')].filter((el) => el.labels.length === 0).length"), 0, 'every field has a label')

    await page.getByLabel('API key').fill(ADMIN)
    await page.getByRole('button', { name: 'Use key' }).click()
    keyGiven = true
    await page.locator('#model dl[data-version="1"]').waitFor()
    t.equal(await page.evaluate("sessionStorage.getItem('retail-segments.api-key')"), ADMIN, 'the key is kept in sessionStorage')

    // From here on the key is known: a fresh load must log nothing.
    errors = []
    await page.reload()
    await page.locator('#model dl[data-version="1"]').waitFor()
    for (const s of segments) await page.getByRole('heading', { level: 3, name: s.name, exact: true }).waitFor({ state: 'visible' })
    t.pass(`all ${segments.length} segment names visible`)
    t.equal(await page.locator('#segments article.card').count(), segments.length, 'one card per segment')
    t.equal(await page.locator('#segments canvas').count(), segments.length, 'a profile chart per card')
    t.equal(await page.locator('#segments .value-block').count(), segments.length, 'a value block per card')
    t.equal(await page.locator('#segments .value-block .deciles').count(), 2 * segments.length, 'CLV and P(alive) distributions per card')
    t.equal(await page.locator('#segments .rfm-mix').count(), segments.length, 'an RFM group mix per card')
    t.match(await page.locator('#segments .value-block').first().innerText(), /£[\d,]+/, 'money with its currency')
    await page.locator('#holdout').filter({ hasText: 'No holdout for this version' }).waitFor()
    t.pass('v1 was trained without a holdout, and the page says so')
    t.ok((await page.locator('#model .explain').count()) >= 4, 'a plain explanation beside the model metrics')

    const map = (await app.inject({ url: '/segments/map?sample=2000', headers: asReader })).json()
    await page.locator('#map[data-points]').waitFor({ state: 'attached' })
    t.equal(Number(await page.locator('#map').getAttribute('data-points')), map.points.length, `a map point per sampled customer (${map.points.length})`)
    t.equal(await page.locator('#map-legend button').count(), segments.length, 'a legend toggle per segment')
    await page.locator('#drift').filter({ hasText: /not available|drift/i }).waitFor()
    t.pass(`drift section: ${(await page.locator('#drift').innerText()).split('\n')[0]}`)

    // Upload a new file (the first months of the sample, as plain CSV), train on it, follow the job.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dashboard-test-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const csv = path.join(dir, 'first-months.csv')
    writeFileSync(csv, gunzipSync(readFileSync(SAMPLE)).toString('utf8').split('\n').slice(0, 20_001).join('\n'))
    await page.getByLabel('File', { exact: true }).setInputFiles(csv)
    await page.getByLabel('Name (optional)', { exact: true }).fill('first months')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.locator('#upload-result').filter({ hasText: /^Uploaded "first months"/ }).waitFor()
    const datasetId = await page.locator('#upload-result').getAttribute('data-dataset-id')
    t.ok(datasetId, `uploaded: ${await page.locator('#upload-result').innerText()}`)

    // Every state the job panel shows, as status:progress.
    await page.evaluate(`{
      const box = document.getElementById('job')
      const seen = (window.jobStatuses = [])
      new MutationObserver(() => { if (box.dataset.status) seen.push(box.dataset.status + ':' + document.getElementById('job-progress').value) })
        .observe(box, { attributes: true, subtree: true, childList: true })
    }`)
    await page.getByLabel(/^Datasets/).selectOption(datasetId!)
    await page.getByLabel('Activate', { exact: true }).selectOption('always')
    await page.getByRole('button', { name: 'Train', exact: true }).click()
    await page.locator('#job[data-status="succeeded"]').waitFor({ timeout: 120_000 })
    const seen = (await page.evaluate('window.jobStatuses')) as string[]
    t.ok(seen.some((s) => s.startsWith('queued') || s.startsWith('running')), `progress followed live: ${[...new Set(seen)].join(' → ')}`)
    t.match(await page.locator('#job-status').innerText(), /succeeded.*100 %.*model v2/)
    await page.locator('#model dl[data-version="2"]').waitFor()
    await page.locator('#map[data-model-version="2"]').waitFor({ state: 'attached' })
    const v2 = (await app.inject({ url: '/models/active', headers: asReader })).json()
    t.match(v2, { version: 2, datasetIds: [datasetId] }, 'the new version is active and shown')

    // Who moved where: the page's matrix is the API's, and a cell lists its movers.
    await page.locator('#transitions table[data-from="1"][data-to="2"]').waitFor()
    const matrix = (await app.inject({ url: '/models/2/transitions', headers: asReader })).json()
    const shown = (await page.evaluate(`[...document.querySelectorAll('#transitions td.cell')].map((td) => [+td.dataset.from, +td.dataset.to, +td.dataset.count])`)) as number[][]
    const cells = matrix.segments.from.flatMap((i: number, r: number) => matrix.segments.to.map((j: number, c: number) => [i, j, matrix.segments.counts[r][c]]))
    t.same(shown, cells, 'every cell as GET /models/2/transitions counts it')
    const [ci, cj, cn] = cells.reduce((a: number[], b: number[]) => (b[2]! > a[2]! ? b : a))
    await page.locator(`#transitions td.cell[data-from="${ci}"][data-to="${cj}"] button`).click()
    await page.locator(`#movers table[data-total="${cn}"]`).waitFor()
    t.equal(await page.locator('#movers tbody tr').count(), Math.min(20, cn), 'the cell\'s movers listed')

    // Roll back with the admin key from the key field.
    await page.getByLabel('Reason for the change').fill('dashboard test rollback')
    await page.getByRole('button', { name: 'Roll back to v1' }).click()
    await page.locator('#model dl[data-version="1"]').waitFor()
    await page.locator('#history-table tbody tr').first().filter({ hasText: 'v2 → v1' }).waitFor()
    t.match((await app.inject({ url: '/models/history', headers: asReader })).json()[0], { from: 2, to: 1, reason: 'dashboard test rollback', actor: 'admin' })
    await page.locator('#map[data-model-version="1"]').waitFor({ state: 'attached' })
    await page.locator('#transitions table[data-from="2"][data-to="1"]').waitFor()

    // A version with a holdout: the holdout chart.
    const v3 = await trainAndWait(app, { holdoutDays: 60, activate: 'always' })
    t.equal(v3.status, 'succeeded', v3.error ?? '')
    await page.reload()
    await page.locator(`#holdout[data-version="${v3.modelVersion}"]`).waitFor({ state: 'attached' })
    t.equal(await page.locator('#holdout .holdout-col').count(), 8, 'the holdout chart: repeat counts 0..7+')
    const evaluation = (await app.inject({ url: `/models/${v3.modelVersion}/evaluation`, headers: asReader })).json()
    t.match(await page.locator('#holdout-totals').innerText(), new RegExp(`${evaluation.evaluation.purchases.actual} repeat purchase days`), 'holdout totals from the API')

    mkdirSync('test-output', { recursive: true })
    await page.mouse.move(0, 0)
    await page.screenshot({ path: 'test-output/dashboard.png', fullPage: true })
    t.same(errors, [], 'no console errors')
    t.comment(`network errors the page explained: ${[...new Set(explained)].join(', ') || 'none'}`)
  })
})
