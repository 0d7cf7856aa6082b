// The committed OpenAPI document is the contract clients read: it must equal the one generated
// from the route schemas. Regenerate with `npm run openapi`.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OPENAPI_FILE, WEB_TYPES_FILE, renderOpenapi, renderWebTypes } from '../scripts/write-openapi.ts'
import { testApp } from './helpers/app.ts'

t.test('openapi/openapi.json is up to date and served', async (t) => {
  const { app } = await testApp(t)
  const generated = renderOpenapi(app.swagger())
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), generated, 'committed document equals the generated one (run npm run openapi)')
  t.equal(readFileSync(WEB_TYPES_FILE, 'utf8'), await renderWebTypes(app.swagger()), "the dashboard's API types equal the ones generated from it (run npm run openapi)")
  const served = await app.inject({ url: '/openapi.json' })
  t.equal(served.statusCode, 200)
  t.same(served.json(), JSON.parse(generated))
  const doc = served.json()
  for (const p of ['/datasets', '/datasets/{id}', '/health/live', '/health/ready']) t.ok(doc.paths[p], `documents ${p}`)
  const ui = await app.inject({ url: '/docs/' })
  t.equal(ui.statusCode, 200, 'Swagger UI is served')
  t.match(ui.body, /swagger/i)
})

t.test('errors are problem+json', async (t) => {
  const { app } = await testApp(t)
  const res = await app.inject({ url: '/nope' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /application\/problem\+json/)
  t.same(res.json(), { type: 'https://retail-segments.dev/problems/not-found', title: 'Not Found', status: 404, detail: 'no route for GET /nope' })
  const live = await app.inject({ url: '/health/live' })
  t.same(live.json(), { status: 'ok' })
})
