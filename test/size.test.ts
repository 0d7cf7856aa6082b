// The size limits of src/ (scripts/check-size.ts): no file over 400 lines, no function over 80.
// PENDING lists the offenders on this branch's base that are still to be split, each with who
// splits it; the test fails on any offender not listed, and on a listed one that is gone (so the
// list shrinks to empty as the splits land). Its `todo` lines name what is left.
import t from 'tap'
import { offenders } from '../scripts/check-size.ts'

const PENDING: Record<string, string> = {}

t.test('no file over 400 lines, no function over 80 in src/', async (t) => {
  const found = offenders('src').map((o) => ({ key: `${o.file.split('\\').join('/')} ${o.name}`, lines: o.lines }))
  const unlisted = found.filter((o) => !(o.key in PENDING))
  t.same(unlisted, [], 'no new offenders')
  const keys = new Set(found.map((o) => o.key))
  t.same(Object.keys(PENDING).filter((k) => !keys.has(k)), [], 'every pending offender still exists (remove it from PENDING once split)')
  for (const o of found.filter((o) => o.key in PENDING)) t.pass(`${o.key}: ${o.lines} lines (pending, ${PENDING[o.key]})`, { todo: true })
})
