// "Who moved where": the transition matrix between the active version and the one before it,
// and the movers of a chosen cell, with a CSV download (fetched with the key, so it works with
// auth on). Everything comes from GET /models/{v}/transitions and /models/{v}/movers.
import { apiKey, explain, get } from './api.ts'
import type { paths } from './api-schema.ts'
import { fill, h } from './dom.ts'

type Transitions = paths['/models/{version}/transitions']['get']['responses'][200]['content']['application/json']
type Movers = paths['/models/{version}/movers']['get']['responses'][200]['content']['application/json']

const int = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 })
const pct = (v: number) => `${(v * 100).toFixed(1)} %`

export async function loadTransitions(el: HTMLElement): Promise<void> {
  // The last change of the active version names both sides (after a rollback, the version rolled back from).
  let last: { from: number | null; to: number } | undefined
  try {
    last = (await get<{ from: number | null; to: number }[]>('/models/history'))[0]
  } catch (err) {
    return fill(el, h('p', { class: 'muted' }, explain(err)))
  }
  if (!last) return fill(el, h('p', { class: 'muted' }, 'No model is active yet.'))
  if (last.from === null) return fill(el, h('p', { class: 'muted' }, 'Only one version has been active: movements show after the next one.'))
  try {
    renderMatrix(el, await get<Transitions>(`/models/${last.to}/transitions?from=${last.from}`))
  } catch (err) {
    fill(el, h('p', { class: 'muted' }, explain(err)))
  }
}

function renderMatrix(el: HTMLElement, m: Transitions): void {
  const nameFrom = new Map(m.from.segments.map((s) => [s.id, s.name]))
  const nameTo = new Map(m.to.segments.map((s) => [s.id, s.name]))
  const s = m.segments
  const head = h('tr', {}, h('th', { scope: 'col' }, `v${m.from.version} ↓ · v${m.to.version} →`), s.to.map((j) => h('th', { scope: 'col' }, nameTo.get(j) ?? `Segment ${j}`)), h('th', { scope: 'col' }, 'Left'))
  const rows = s.from.map((i, r) => h('tr', {},
    h('th', { scope: 'row' }, nameFrom.get(i) ?? `Segment ${i}`),
    s.to.map((j, c) => {
      const count = s.counts[r]![c]!
      const share = s.shares[r]![c]!
      const label = `${int.format(count)} customers from ${nameFrom.get(i)} to ${nameTo.get(j)} (${pct(share)} of the row)`
      const td = h('td', { class: 'cell', title: label, 'data-from': i, 'data-to': j, 'data-count': count },
        h('button', { type: 'button', 'aria-label': label, onclick: () => void loadMovers(m, i, j) }, int.format(count)))
      td.style.setProperty('--share', String(share))
      return td
    }),
    h('td', {}, int.format(s.left.byLabel[r]?.count ?? 0))))
  const entered = h('tr', {}, h('th', { scope: 'row' }, 'Entered'), s.entered.byLabel.map((e) => h('td', {}, int.format(e.count))), h('td', {}))
  fill(el,
    h('p', { class: 'small' }, `${int.format(s.stayed)} customers in both versions, ${int.format(s.entered.count)} entered, ${int.format(s.left.count)} left.`),
    h('table', { class: 'transitions', 'data-from': m.from.version, 'data-to': m.to.version }, h('thead', {}, head), h('tbody', {}, rows, entered)))
}

async function loadMovers(m: Transitions, from: number, to: number): Promise<void> {
  const el = document.getElementById('movers')!
  const query = `fromSegment=${from}&toSegment=${to}&from=${m.from.version}`
  const path = `/models/${m.to.version}/movers?${query}`
  try {
    const page = await get<Movers>(`${path}&limit=20`)
    const download = h('button', { type: 'button', onclick: () => void downloadCsv(`${path}&format=csv&limit=10000`, `movers-v${m.from.version}-s${from}-v${m.to.version}-s${to}.csv`) }, 'Download CSV')
    fill(el,
      h('h3', {}, `Segment ${from} → ${to}: ${int.format(page.total)} customers`),
      download,
      h('table', { class: 'movers', 'data-total': page.total }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Customer'), h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'To'))),
        h('tbody', {}, page.movers.map((x) => h('tr', {}, h('td', {}, x.customerId), h('td', {}, x.fromSegment), h('td', {}, x.toSegment))))),
      page.total > page.movers.length ? h('p', { class: 'muted small' }, `The first ${page.movers.length}; the CSV has up to 10,000.`) : null)
  } catch (err) {
    fill(el, h('p', { class: 'muted' }, explain(err)))
  }
}

async function downloadCsv(path: string, filename: string): Promise<void> {
  const key = apiKey.get()
  const res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} })
  const url = URL.createObjectURL(await res.blob())
  const a = h('a', { href: url, download: filename })
  document.body.append(a)
  a.click()
  a.remove()
  URL.revokeObjectURL(url)
}
