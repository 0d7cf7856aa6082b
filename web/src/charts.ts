// The dashboard's two charts, drawn with uPlot: a segment's RFM profile (bars) and the customer
// map (a scatter: one series per segment over one x array, each series null where the customer
// belongs to another segment).
import uPlot from 'uplot'
import type { Segment, SegmentMap } from './api.ts'

// Okabe-Ito hues (told apart with the common colour-vision deficiencies), darkened where needed
// so that every colour has at least 3:1 contrast against white (WCAG 1.4.11), then more hues.
const PALETTE = ['#0072B2', '#B97A00', '#009E73', '#D55E00', '#B0528A', '#4D4D4D', '#7B3294', '#00798C', '#8A6D00', '#B2182B', '#1B7837', '#2166AC']
export const segmentColor = (id: number): string => PALETTE[id % PALETTE.length]!

export const RFM = [
  { feature: 'recency_days', label: 'Recency' },
  { feature: 'frequency', label: 'Frequency' },
  { feature: 'monetary', label: 'Monetary' },
]

const slog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v))

/**
 * Each segment's median of each feature in standard deviations from all customers, in log space
 * (the RFM features are heavy-tailed). The population is rebuilt from the segment profiles: its
 * mean is the share-weighted mean of the segment medians, its variance the mixture's (within:
 * IQR / 1.349 per segment; between: the spread of the medians). Null when a feature is missing.
 */
export function standardizedMedians(segments: readonly Segment[], features: readonly string[]): Map<number, (number | null)[]> {
  const out = new Map<number, (number | null)[]>(segments.map((s) => [s.id, []]))
  for (const f of features) {
    const rows = segments.flatMap((s) => {
      const p = s.profile[f]
      if (!p || p.median === null || p.p25 === null || p.p75 === null) return []
      return [{ id: s.id, w: s.share, c: slog(p.median), sd: (slog(p.p75) - slog(p.p25)) / 1.349 }]
    })
    const total = rows.reduce((a, r) => a + r.w, 0)
    const mu = total > 0 ? rows.reduce((a, r) => a + r.w * r.c, 0) / total : 0
    const variance = total > 0 ? rows.reduce((a, r) => a + r.w * (r.sd * r.sd + (r.c - mu) ** 2), 0) / total : 0
    const sigma = Math.sqrt(variance) || 1
    for (const s of segments) {
      const r = rows.find((x) => x.id === s.id)
      out.get(s.id)!.push(r ? (r.c - mu) / sigma : null)
    }
  }
  return out
}

const AXIS = { stroke: '#3d4450', font: '12px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' }
const GRID = { stroke: '#e3e6ea', width: 1 }

/** Keeps a chart as wide as its container. */
function fitWidth(chart: uPlot, el: HTMLElement, height: number): void {
  let width = el.clientWidth
  const ro = new ResizeObserver(() => {
    const w = el.clientWidth
    if (w > 0 && Math.abs(w - width) > 1) {
      width = w
      requestAnimationFrame(() => chart.setSize({ width: w, height }))
    }
  })
  ro.observe(el)
}

/** Bars of standardized medians (z), one per feature, in the segment's colour. */
export function profileChart(el: HTMLElement, labels: readonly string[], z: readonly (number | null)[], color: string): uPlot {
  const height = 150
  const idx = labels.map((_, i) => i)
  const top = Math.max(1.5, Math.ceil(Math.max(...z.map((v) => Math.abs(v ?? 0))) * 2) / 2)
  const chart = new uPlot(
    {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [-top, top] } },
      axes: [
        { ...AXIS, splits: () => idx, values: (_u, splits) => splits.map((i) => labels[i] ?? ''), grid: { show: false }, ticks: { show: false }, size: 28 },
        { ...AXIS, size: 42, grid: GRID, values: (_u, splits) => splits.map((v) => (v > 0 ? `+${v}` : `${v}`)) },
      ],
      series: [{}, { label: 'SD from all customers', fill: color, stroke: color, width: 0, fillTo: 0, paths: uPlot.paths.bars!({ size: [0.55, 56] }), points: { show: false } }],
    },
    [idx, z.map((v) => v ?? null)] as uPlot.AlignedData,
    el,
  )
  fitWidth(chart, el, height)
  return chart
}

export interface MapHandle {
  chart: uPlot
  /** Points drawn. */
  drawn: number
  toggle(segmentId: number, show: boolean): void
}

/** The customer map. `onHover` gets the nearest customer under the pointer, or null. */
export function mapChart(el: HTMLElement, data: SegmentMap, segments: readonly Segment[], onHover: (p: SegmentMap['points'][number] | null) => void): MapHandle {
  const height = 420
  const points = [...data.points].sort((a, b) => a.x - b.x)
  const xs = points.map((p) => p.x)
  const order = segments.map((s) => s.id)
  const ys = order.map((id) => points.map((p) => (p.segment === id ? p.y : null)))
  const drawn = ys.reduce((a, col) => a + col.filter((v) => v !== null).length, 0)
  const axisLabel = (i: number) => {
    const a = data.axes[i]
    return a ? `${a.name} (${Math.round(a.varianceShare * 100)} % of the variance)` : ''
  }
  const chart = new uPlot(
    {
      width: Math.max(300, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: true, uni: 40 }, points: { show: false } },
      scales: { x: { time: false }, y: {} },
      axes: [
        { ...AXIS, label: axisLabel(0), grid: GRID },
        { ...AXIS, label: axisLabel(1), grid: GRID, size: 50 },
      ],
      series: [
        {},
        ...segments.map((s) => {
          const c = segmentColor(s.id)
          return { label: s.name, stroke: c, fill: c, paths: () => null, points: { show: true, size: 6, width: 1, stroke: c, fill: `${c}b3` } }
        }),
      ],
      hooks: {
        setCursor: [
          (u) => {
            const { left, top } = u.cursor
            if (left === undefined || top === undefined || left < 0) return onHover(null)
            let best: (typeof points)[number] | null = null
            let bestD = 10 * 10
            points.forEach((p, i) => {
              const si = order.indexOf(p.segment) + 1
              if (si < 1 || !u.series[si]!.show) return
              const dx = u.valToPos(xs[i]!, 'x') - left
              const dy = u.valToPos(p.y, 'y') - top
              const d = dx * dx + dy * dy
              if (d < bestD) {
                bestD = d
                best = p
              }
            })
            onHover(best)
          },
        ],
      },
    },
    [xs, ...ys] as uPlot.AlignedData,
    el,
  )
  fitWidth(chart, el, height)
  return {
    chart,
    drawn,
    toggle(segmentId, show) {
      const i = order.indexOf(segmentId)
      if (i >= 0) chart.setSeries(i + 1, { show })
    },
  }
}
