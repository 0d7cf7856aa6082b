// Customer value on the dashboard: each segment's CLV and P(alive) distributions and RFM group
// mix, and the value model's holdout chart. Plain DOM bars (the numbers are few); every figure
// comes from the API (GET /segments, GET /models/{v}/evaluation).
import type { Answer } from './api.ts'

type Segment = Answer<'/segments'>[number]
type SegmentValue = NonNullable<Segment['value']>
export type Evaluation = Answer<'/models/{version}/evaluation'>

// The UCI retailer sells in pounds sterling; uploads carry no currency column, so the dashboard
// names the one of the data it was built for.
export const CURRENCY = 'GBP'
const money = new Intl.NumberFormat('en-GB', { style: 'currency', currency: CURRENCY, maximumFractionDigits: 0 })
const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)} %`)
const two = (v: number | null) => (v === null ? '–' : v.toFixed(2))

export const EXPLAIN = {
  clv: 'Expected spend over the next 365 days, discounted at 10 % a year (BG/NBD purchases × Gamma-Gamma order value).',
  pAlive: 'Probability the customer still buys from us, from how often and how recently they bought (BG/NBD).',
  atRisk: 'Share of customers with P(alive) below 0.3: more likely gone than not.',
  rfm: 'Recency, frequency and money scored 1-5 against all customers, named by the classic RFM map.',
  holdout: 'Purchase days predicted for the holdout period against what customers actually did, by how often they had bought before.',
}

function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  e.append(...children)
  return e
}

/** Ten bars between deciles: how the values spread from the lowest to the highest customer. */
function decileBars(deciles: readonly number[], label: string, format: (v: number) => string): HTMLElement {
  const max = Math.max(...deciles, 1e-12)
  const bars = el('div', { class: 'deciles', role: 'img', 'aria-label': `${label}, deciles from lowest to highest: ${deciles.map(format).join(', ')}` })
  for (const d of deciles.slice(1)) {
    const bar = el('span', { class: 'decile', title: format(d) })
    bar.style.height = `${Math.max(2, (100 * Math.max(0, d)) / max)}%`
    bars.append(bar)
  }
  return bars
}

function metric(label: string, value: string, explain: string): HTMLElement {
  return el('div', { class: 'stat' }, el('dt', {}, label), el('dd', {}, value), el('dd', { class: 'explain muted small' }, explain))
}

/** The value block of a segment card; null for a version without a value model. */
export function segmentValueBlock(v: SegmentValue | null | undefined): HTMLElement | null {
  if (!v) return null
  const groups = Object.entries(v.rfmGroups).filter(([, share]) => share > 0).sort((a, b) => b[1] - a[1])
  const mix = el('div', { class: 'rfm-mix', role: 'img', 'aria-label': `RFM groups: ${groups.map(([g, s]) => `${g} ${pct(s)}`).join(', ')}` })
  groups.forEach(([g, share], i) => {
    const part = el('span', { class: `rfm-part rfm-${i % 6}`, title: `${g}: ${pct(share)}` })
    part.style.width = `${share * 100}%`
    mix.append(part)
  })
  return el(
    'div',
    { class: 'value-block', 'data-value-customers': String(v.customers) },
    el('h4', {}, 'Value'),
    el(
      'dl',
      { class: 'stats value-stats' },
      metric('Total CLV', money.format(v.totalClv), EXPLAIN.clv),
      metric('Median CLV', v.medianClv === null ? '–' : money.format(v.medianClv), 'Half the customers are expected to be worth less, half more.'),
      metric('Mean P(alive)', two(v.meanPAlive), EXPLAIN.pAlive),
      metric('At risk', pct(v.shareAtRisk), EXPLAIN.atRisk),
    ),
    el('p', { class: 'small' }, 'CLV distribution'),
    decileBars(v.clvDeciles, 'CLV', (x) => money.format(x)),
    el('p', { class: 'small' }, 'P(alive) distribution'),
    decileBars(v.pAliveDeciles, 'P(alive)', (x) => x.toFixed(2)),
    el('p', { class: 'small' }, 'RFM groups ', el('span', { class: 'muted' }, `· ${EXPLAIN.rfm}`)),
    mix,
    el('p', { class: 'small muted' }, groups.slice(0, 3).map(([g, s]) => `${g} ${pct(s)}`).join(' · ')),
  )
}

/** The holdout chart (actual, model, baseline by calibration repeat count) and its totals. */
export function renderHoldout(target: HTMLElement, ev: Evaluation | null): void {
  const e = ev?.evaluation
  if (!ev || !e) {
    target.replaceChildren(el('p', { class: 'muted' }, 'No holdout for this version: train with holdoutDays (or an asOf before the data\'s end) to see one.'))
    return
  }
  const max = Math.max(...e.byRepeatCount.flatMap((r) => [r.meanActual, r.meanPredicted, r.meanBaseline]), 1e-12)
  const chart = el('div', { class: 'holdout-chart', role: 'img', 'aria-label': `Mean purchase days per customer in the holdout, actual / model / baseline: ${e.byRepeatCount.map((r) => `${r.repeatCount}: ${two(r.meanActual)} / ${two(r.meanPredicted)} / ${two(r.meanBaseline)}`).join('; ')}` })
  for (const r of e.byRepeatCount) {
    const group = el('div', { class: 'holdout-group' })
    for (const [cls, v] of [['actual', r.meanActual], ['model', r.meanPredicted], ['baseline', r.meanBaseline]] as const) {
      const bar = el('span', { class: `hbar hbar-${cls}`, title: `${cls} ${two(v)}` })
      bar.style.height = `${(100 * v) / max}%`
      group.append(bar)
    }
    chart.append(el('figure', { class: 'holdout-col' }, group, el('figcaption', { class: 'small' }, `${r.repeatCount} (${r.customers})`)))
  }
  const legend = el('p', { class: 'small legend-line' }, el('span', { class: 'key key-actual' }), ' actual ', el('span', { class: 'key key-model' }), ' model ', el('span', { class: 'key key-baseline' }), ' baseline (past rate x/T carried forward)')
  const p = e.purchases
  const totals = el('p', { class: 'small', id: 'holdout-totals' },
    `As of ${ev.asOf}, ${e.holdoutDays} days after: ${p.actual.toFixed(0)} repeat purchase days, model ${p.predicted.toFixed(0)}, baseline ${p.baseline.toFixed(0)}. `
    + `Per-customer MAE model ${e.mae.purchases.model.toFixed(3)} vs baseline ${e.mae.purchases.baseline.toFixed(3)}`
    + (e.rmse ? `; RMSE ${e.rmse.purchases.model.toFixed(3)} vs ${e.rmse.purchases.baseline.toFixed(3)}` : '') + '.')
  target.replaceChildren(el('p', { class: 'muted small' }, EXPLAIN.holdout), chart, el('p', { class: 'small muted' }, 'Calibration repeat purchases (customers)'), legend, totals)
  target.dataset.version = String(ev.version)
}
