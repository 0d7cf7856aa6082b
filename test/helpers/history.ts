// GET /customers/{id}/history must say what GET /predict/customer/{id}?model= says for the same
// version (issue 16): one check, used by the sample and the full-data tests.
import type { FastifyInstance } from 'fastify'
import type t from 'tap'

type Test = Pick<typeof t, 'equal'>

interface Entry { version: number; segment: { id: number; name: string }; rfmGroup: string | null; clv: number | null; pAlive: number | null }

export async function entryMatchesPrediction(t: Test, app: FastifyInstance, id: string, entry: Entry): Promise<void> {
  const p = (await app.inject({ url: `/predict/customer/${id}?model=${entry.version}` })).json()
  t.equal(entry.segment.id, p.segment.id, `v${entry.version}: segment as predicted`)
  t.equal(entry.segment.name, p.segment.name, `v${entry.version}: name as predicted`)
  t.equal(entry.rfmGroup, p.rfm?.group ?? null, `v${entry.version}: RFM group as predicted`)
  t.equal(entry.clv, p.value?.clv?.value ?? null, `v${entry.version}: CLV as predicted`)
  t.equal(entry.pAlive, p.value?.pAlive ?? null, `v${entry.version}: P(alive) as predicted`)
}
