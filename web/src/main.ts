// The segment dashboard: plain DOM, one module per concern (api.ts, charts.ts). Every number on
// the page comes from the service's API; nothing is fetched from anywhere else.
import 'uplot/dist/uPlot.min.css'
import './style.css'
import { ApiError, apiKey, explain, get, request, type Activation, type Dataset, type DriftAnswer, type Job, type Model, type Segment, type SegmentMap } from './api.ts'
import { $, fill, h, input, select, type Child } from './dom.ts'
import { loadTransitions } from './transitions.ts'
import { RFM, mapChart, profileChart, segmentColor, standardizedMedians, type MapHandle } from './charts.ts'
import { renderHoldout, segmentValueBlock, type Evaluation } from './value.ts'

// ---------------------------------------------------------------------------------------------
// DOM helpers

const unavailable = (err: unknown) => h('p', { class: 'muted' }, explain(err))

// ---------------------------------------------------------------------------------------------
// Formatting

const int = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 })
const dec = (digits: number) => new Intl.NumberFormat('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const pct = (v: number) => `${dec(1).format(v * 100)} %`
const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1000 ? int.format(v) : dec(digits).format(v))

/** ISO date-time as "2026-11-29 03:13 UTC": the same on every screen. */
const when = (iso: string) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '–')

function badge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status}` }, status)
}

// ---------------------------------------------------------------------------------------------
// State and loading

interface State {
  active: Model | null
  segments: Segment[]
  map: MapHandle | null
}
const state: State = { active: null, segments: [], map: null }

function notice(message: string | null): void {
  const el = $('notice')
  el.hidden = message === null
  el.textContent = message ?? ''
}

async function loadHealth(): Promise<void> {
  const el = $('health')
  try {
    const h = await get<{ checks?: Record<string, string> }>('/health/ready')
    const c = h.checks ?? {}
    el.textContent = `Service ready · database ${c.database ?? '?'} · model ${c.model ?? '?'}`
    el.className = 'health ok'
  } catch (err) {
    el.textContent = `Service not ready: ${explain(err)}`
    el.className = 'health bad'
  }
}

/** Loads every section; one failing section does not stop the others. */
async function loadAll(): Promise<void> {
  const results = await Promise.allSettled([loadHealth(), loadModelAndSegments(), loadDrift(), loadVersions(), loadDatasets(), resumeJob(), loadTransitions($('transitions'))])
  const unauthorized = results.some((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 401)
  notice(unauthorized ? 'This service needs an API key: enter it at the top of the page (a read key shows the data; an admin key also uploads, trains and activates).' : null)
  for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof ApiError)) throw r.reason
}

// ---------------------------------------------------------------------------------------------
// Active model and segments

async function loadModelAndSegments(): Promise<void> {
  const modelEl = $('model')
  let model: Model
  try {
    model = await get<Model>('/models/active')
  } catch (err) {
    state.active = null
    const none = err instanceof ApiError && err.status === 409
    fill(modelEl, h('p', { class: 'muted' }, none ? 'No active model yet: upload transactions and train one below.' : explain(err)))
    fill($('segments'), h('p', { class: 'muted' }, none ? 'Segments appear once a model is trained.' : explain(err)))
    renderMap(null, err)
    if (!none) throw err
    return
  }
  state.active = model
  renderModel(model)
  const [segments, map] = await Promise.allSettled([get<Segment[]>(`/segments?model=${model.version}`), get<SegmentMap>(`/segments/map?model=${model.version}&sample=2000`)])
  if (segments.status === 'rejected') {
    fill($('segments'), unavailable(segments.reason))
    renderMap(null, segments.reason)
    throw segments.reason
  }
  state.segments = segments.value
  renderSegments(segments.value)
  renderMap(map.status === 'fulfilled' ? map.value : null, map.status === 'rejected' ? map.reason : null)
  await get<Evaluation>(`/models/${model.version}/evaluation`).then((ev) => renderHoldout($('holdout'), ev), (err) => fill($('holdout'), unavailable(err)))
}

function renderModel(m: Model): void {
  // The explanation is shown beside the figure, not only as a tooltip.
  const stat = (label: string, value: Child | Child[], title?: string) =>
    h('div', { class: 'stat' }, h('dt', title ? { title } : {}, label), h('dd', {}, value), title ? h('dd', { class: 'explain muted small' }, title) : null)
  const datasets = (m.datasets ?? []).map((d) => d.name).join(', ')
  fill(
    $('model'),
    h(
      'dl',
      { class: 'stats', 'data-version': m.version },
      stat('Version', [`v${m.version} `, badge(m.status)]),
      stat('Trained', when(m.createdAt)),
      stat('Recipe', m.recipe),
      stat('Segments (k)', m.k),
      stat('Customers', int.format(m.customers)),
      stat('Silhouette', num(m.metrics.silhouette), 'From -1 to 1: how well separated the segments are (higher is better)'),
      stat('Calinski-Harabasz', num(m.metrics.calinskiHarabasz, 0), 'Between- to within-segment dispersion (higher is better)'),
      stat('Davies-Bouldin', num(m.metrics.daviesBouldin), 'Average similarity of each segment with its closest one (lower is better)'),
      stat('Stability', num(m.metrics.stability), 'Mean adjusted Rand index of refits on bootstrap resamples (1 = identical)'),
      m.asOf ? stat('Value as of', m.asOf, 'P(alive) and CLV are computed from purchases up to this day') : null,
      m.window ? stat('Window', `${m.window.from} – ${m.window.to}`, `Trained on the last ${m.window.months !== undefined ? `${m.window.months} months` : `${m.window.days} days`} of transactions up to asOf`) : null,
    ),
    datasets ? h('p', { class: 'muted small' }, `Trained on ${datasets}.`) : null,
  )
}

function renderSegments(segments: Segment[]): void {
  const rfm = RFM.filter((r) => segments.some((s) => s.profile[r.feature]))
  const z = standardizedMedians(segments, rfm.map((r) => r.feature))
  const cards = segments.map((s) => {
    const color = segmentColor(s.id)
    const zs = z.get(s.id) ?? []
    const summary = rfm.map((r, i) => `${r.label} ${zs[i] === null || zs[i] === undefined ? 'unknown' : `${zs[i]! >= 0 ? '+' : ''}${dec(1).format(zs[i]!)}`}`).join(', ')
    const chart = h('div', { class: 'profile-chart', role: 'img', 'aria-label': `Profile of ${s.name}, standard deviations from all customers: ${summary}` })
    const rows = rfm.map((r) => {
      const p = s.profile[r.feature]!
      return h('tr', {}, h('th', { scope: 'row' }, r.label), h('td', {}, num(p.median, r.feature === 'monetary' ? 0 : 1)), h('td', {}, `${num(p.p25, 1)} – ${num(p.p75, 1)}`))
    })
    const card = h(
      'article',
      { class: 'card', 'aria-labelledby': `segment-${s.id}-name`, 'data-segment': s.id },
      h('h3', { id: `segment-${s.id}-name` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), s.name),
      h('p', { class: 'size' }, h('strong', {}, int.format(s.size)), ' customers · ', h('strong', {}, pct(s.share))),
      h('p', { class: 'desc' }, s.description),
      rfm.length > 0 ? h('figure', { class: 'profile' }, chart, h('figcaption', { class: 'sr-only' }, 'Median recency, frequency and monetary value in standard deviations from all customers')) : null,
      rfm.length > 0
        ? h(
            'table',
            { class: 'profile-table small' },
            h('caption', { class: 'sr-only' }, `${s.name}: medians and interquartile ranges`),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Feature'), h('th', { scope: 'col' }, 'Median'), h('th', { scope: 'col' }, 'Middle half'))),
            h('tbody', {}, rows),
          )
        : null,
      segmentValueBlock(s.value),
      h('h4', {}, 'Top products'),
      s.topProducts.length > 0
        ? h('ol', { class: 'products small' }, s.topProducts.slice(0, 5).map((p) => h('li', {}, h('span', {}, p.description), h('span', { class: 'muted' }, ` · ${p.stockCode} · ${int.format(p.buyers)} buyers`))))
        : h('p', { class: 'muted small' }, 'None recorded.'),
    )
    card.style.setProperty('--segment-color', color)
    return { card, chart, zs, color }
  })
  fill($('segments'), cards.map((c) => c.card))
  for (const c of cards) if (c.chart.isConnected) profileChart(c.chart, rfm.map((r) => r.label), c.zs, c.color)
}

// ---------------------------------------------------------------------------------------------
// Customer map

function renderMap(data: SegmentMap | null, err: unknown): void {
  const el = $('map')
  const legend = $('map-legend')
  state.map?.chart.destroy()
  state.map = null
  el.replaceChildren()
  legend.replaceChildren()
  el.removeAttribute('data-points')
  if (!data) {
    if (err) fill(el, unavailable(err))
    return
  }
  const readout = $('map-readout')
  const names = new Map(state.segments.map((s) => [s.id, s.name]))
  state.map = mapChart(el, data, state.segments, (p) => {
    readout.textContent = p ? `Customer ${p.customerId} · ${names.get(p.segment) ?? `segment ${p.segment}`}` : 'Point at a customer to see who it is.'
  })
  el.dataset.points = String(state.map.drawn)
  el.dataset.modelVersion = String(data.modelVersion)
  const shown = data.points.length < data.customers ? `a sample of ${int.format(data.points.length)} of ${int.format(data.customers)} customers` : `all ${int.format(data.customers)} customers`
  $('map-caption').textContent = `Model v${data.modelVersion}: ${shown} on the first two principal components of the model's space, coloured by segment. Drag to zoom, double-click to reset.`
  const counts = new Map<number, number>()
  for (const p of data.points) counts.set(p.segment, (counts.get(p.segment) ?? 0) + 1)
  for (const s of state.segments) {
    const button = h(
      'button',
      { type: 'button', class: 'legend-item', 'aria-pressed': 'true', title: 'Show or hide on the map' },
      h('span', { class: 'swatch', 'aria-hidden': 'true' }),
      `${s.name} (${int.format(counts.get(s.id) ?? 0)})`,
    )
    button.style.setProperty('--segment-color', segmentColor(s.id))
    button.addEventListener('click', () => {
      const show = button.getAttribute('aria-pressed') !== 'true'
      button.setAttribute('aria-pressed', String(show))
      state.map?.toggle(s.id, show)
    })
    legend.append(button)
  }
}

// ---------------------------------------------------------------------------------------------
// Drift

function featureDriftTable(features: NonNullable<DriftAnswer['features']>): HTMLElement {
  const hasPsi = features.some((f) => typeof f.psi === 'number')
  return h(
    'table',
    { class: 'small', id: 'drift-table' },
    h('caption', { class: 'sr-only' }, 'Drift per feature'),
    h('thead', {}, h('tr', {}, ['Feature', 'Test', 'Statistic', 'Threshold', ...(hasPsi ? ['PSI'] : []), 'Drifted'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      features.map((f) =>
        h(
          'tr',
          { class: f.drifted ? 'drifted' : '' },
          h('th', { scope: 'row' }, f.feature),
          h('td', {}, f.method),
          h('td', {}, num(f.statistic, 3)),
          h('td', {}, num(f.threshold, 3)),
          hasPsi ? h('td', {}, `${num(f.psi, 2)}${f.psiBand && f.psiBand !== 'none' ? ` (${f.psiBand})` : ''}`) : null,
          h('td', {}, f.drifted ? 'yes' : 'no'),
        ),
      ),
    ),
  )
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v
  if (v && typeof v === 'object') {
    for (const k of ['message', 'text', 'summary', 'action']) if (typeof (v as Record<string, unknown>)[k] === 'string') return (v as Record<string, string>)[k]!
  }
  return null
}

async function loadDrift(): Promise<void> {
  const el = $('drift')
  let d: DriftAnswer
  try {
    d = await get<DriftAnswer>('/drift')
  } catch (err) {
    // Until a dataset and a model with a reference exist (or on a service without drift
    // monitoring) there is no report: say why, without alarming anyone.
    const missing = err instanceof ApiError && err.status === 404 && /no route/i.test(err.detail)
    fill(el, h('p', { class: 'muted' }, 'Drift report not available', missing ? ' on this service.' : `: ${explain(err)}`))
    if (err instanceof ApiError && err.status === 401) throw err
    return
  }
  const features = d.features ?? []
  const drifted = features.filter((f) => f.drifted).length
  const compared = features.length
  // The schema leaves the segment-shift object open (src/drift/report.ts SegmentShift).
  const shift = d.segments as { shifted?: boolean; jsDistance?: number } | undefined
  const recommendation = text(d.recommendation)
  const source = (d.source ?? {}) as { datasetId?: string; window?: string }
  const against = source.window ? `predictions of the last ${source.window}` : source.datasetId ? `dataset ${source.datasetId.slice(0, 8)}` : 'the newest data'
  const stat = (label: string, value: string) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value))
  fill(
    el,
    h(
      'p',
      { class: 'drift-status', 'data-drift': String(d.datasetDrift ?? 'unknown') },
      d.datasetDrift === undefined ? badge('unknown') : d.datasetDrift ? badge('drifted') : badge('stable'),
      ' ',
      d.datasetDrift ? 'The new data has drifted from the training data.' : 'No dataset drift against the training data.',
    ),
    h(
      'dl',
      { class: 'stats compact' },
      compared > 0 ? stat('Drifted features', `${drifted} of ${compared}`) : null,
      typeof d.driftShare === 'number' ? stat('Drift share', pct(d.driftShare)) : null,
      shift && typeof shift.jsDistance === 'number' ? stat('Segment shares', `${shift.shifted ? 'shifted' : 'stable'} (JS ${num(shift.jsDistance, 2)})`) : null,
    ),
    recommendation ? h('p', { class: 'recommendation' }, recommendation) : null,
    h(
      'p',
      { class: 'muted small' },
      `Model v${String(d.modelVersion ?? '?')}: ${typeof d.currentSize === 'number' ? `${int.format(d.currentSize)} customers of ` : ''}${against}` +
        `${typeof d.referenceSize === 'number' ? ` against ${int.format(d.referenceSize)} training customers` : ''}.`,
    ),
    features.length > 0 ? featureDriftTable(features) : null,
  )
}

// ---------------------------------------------------------------------------------------------
// Versions and activation history

async function loadVersions(): Promise<void> {
  const [models, history] = await Promise.allSettled([get<Model[]>('/models'), get<Activation[]>('/models/history')])
  if (models.status === 'fulfilled') renderModels(models.value)
  else fill($('models'), unavailable(models.reason))
  if (history.status === 'fulfilled') renderHistory(history.value)
  else fill($('history'), unavailable(history.reason))
  if (models.status === 'rejected') throw models.reason
}

function renderModels(models: Model[]): void {
  if (models.length === 0) return fill($('models'), h('p', { class: 'muted' }, 'No model trained yet.'))
  const active = models.find((m) => m.status === 'active')?.version ?? null
  const head = ['Version', 'Status', 'Trained', 'Recipe', 'k', 'Customers', 'Silhouette', 'Stability', 'Action']
  fill(
    $('models'),
    h(
      'table',
      { id: 'models-table' },
      h('caption', { class: 'sr-only' }, 'Model versions, newest first'),
      h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        models.map((m) =>
          h(
            'tr',
            { 'data-version': m.version },
            h('th', { scope: 'row' }, `v${m.version}`),
            h('td', {}, badge(m.status)),
            h('td', {}, when(m.createdAt)),
            h('td', {}, m.recipe),
            h('td', {}, m.k),
            h('td', {}, int.format(m.customers)),
            h('td', {}, num(m.metrics.silhouette)),
            h('td', {}, num(m.metrics.stability)),
            h(
              'td',
              {},
              m.status === 'active'
                ? h('span', { class: 'muted' }, 'serving')
                : h('button', { type: 'button', class: 'small-button', onclick: () => void activateVersion(m.version) }, active !== null && m.version < active ? `Roll back to v${m.version}` : `Activate v${m.version}`),
            ),
          ),
        ),
      ),
    ),
  )
}

function renderHistory(history: Activation[]): void {
  if (history.length === 0) return fill($('history'), h('p', { class: 'muted' }, 'No activation yet.'))
  fill(
    $('history'),
    h(
      'table',
      { id: 'history-table', class: 'small' },
      h('caption', { class: 'sr-only' }, 'Changes of the active version, newest first'),
      h('thead', {}, h('tr', {}, ['When', 'Change', 'Reason', 'By'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, history.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, a.from === null ? `→ v${a.to}` : `v${a.from} → v${a.to}`), h('td', {}, a.reason), h('td', {}, a.actor)))),
    ),
  )
}

async function activateVersion(version: number): Promise<void> {
  const result = $('activate-result')
  const reason = input('activate-reason').value.trim() || 'manual activation from the dashboard'
  result.textContent = `Activating v${version}…`
  try {
    await request<Model>(`/models/${version}/activate`, { method: 'POST', json: { reason } })
    result.textContent = `Version ${version} is now active.`
    await loadAll()
  } catch (err) {
    result.textContent = `Could not activate v${version}: ${explain(err)}`
  }
}

// ---------------------------------------------------------------------------------------------
// Upload and training

async function loadDatasets(): Promise<void> {
  const sel = select('train-datasets')
  const chosen = new Set(Array.from(sel.selectedOptions, (o) => o.value))
  const datasets = await get<Dataset[]>('/datasets').catch((err: unknown) => {
    sel.replaceChildren()
    throw err
  })
  sel.replaceChildren(
    ...datasets.map((d) => h('option', { value: d.id, selected: chosen.has(d.id) }, `${d.name} · ${int.format(d.customers)} customers · ${d.createdAt.slice(0, 10)}`)),
  )
}

const UPLOAD_TYPES: [RegExp, string][] = [
  [/\.xlsx$/i, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  [/\.(gz|gzip)$/i, 'application/gzip'],
  [/\.(csv|txt)$/i, 'text/csv'],
]

async function upload(e: Event): Promise<void> {
  e.preventDefault()
  const result = $('upload-result')
  const file = input('upload-file').files?.[0]
  if (!file) {
    result.textContent = 'Choose a file first.'
    return
  }
  const type = UPLOAD_TYPES.find(([re]) => re.test(file.name))?.[1] ?? (file.type || 'text/csv')
  const name = input('upload-name').value.trim()
  result.textContent = `Uploading ${file.name} (${int.format(Math.ceil(file.size / 1024))} KiB)…`
  try {
    const { status, data } = await request<Dataset>(`/datasets${name ? `?name=${encodeURIComponent(name)}` : ''}`, { method: 'POST', body: file, contentType: type })
    result.textContent = `${status === 201 ? 'Uploaded' : 'Already uploaded'} "${data.name}": ${int.format(data.rows.accepted)} rows accepted, ${int.format(data.rows.rejected)} rejected, ${int.format(data.customers)} customers.`
    result.dataset.datasetId = data.id
    await loadDatasets()
  } catch (err) {
    result.textContent = `Upload failed: ${explain(err)}`
  }
}

async function train(e: Event): Promise<void> {
  e.preventDefault()
  const body: Record<string, unknown> = { recipe: select('train-recipe').value, activate: select('train-activate').value }
  const ids = Array.from(select('train-datasets').selectedOptions, (o) => o.value)
  if (ids.length > 0) body.datasetIds = ids
  const k = input('train-k').value.trim()
  body.k = k === '' ? 'auto' : Number(k)
  const seed = input('train-seed').value.trim()
  if (seed !== '') body.seed = Number(seed)
  showJob(null, 'Queuing a training job…')
  try {
    const { data } = await request<Job>('/train', { method: 'POST', json: body })
    await watchJob(data)
  } catch (err) {
    showJob(null, `Training not started: ${explain(err)}`)
  }
}

let watching: string | null = null

function showJob(job: Job | null, message?: string): void {
  const box = $('job')
  box.hidden = false
  const status = $('job-status')
  const progress = $('job-progress') as HTMLProgressElement
  if (!job) {
    status.textContent = message ?? ''
    progress.value = 0
    $('job-log').replaceChildren()
    return
  }
  box.dataset.status = job.status
  box.dataset.jobId = job.id
  const done = job.status === 'succeeded' ? ` → model v${job.modelVersion}` : ''
  const line = `Job ${job.id.slice(0, 8)}: ${job.status}${job.stage ? ` (${job.stage})` : ''}, ${Math.round(job.progress * 100)} %${done}${job.error ? ` — ${job.error}` : ''}`
  // The live region speaks on changes of status or stage, not on every poll.
  if (status.textContent !== line) status.textContent = line
  progress.value = job.progress
  $('job-log').replaceChildren(...job.log.slice(-4).map((l) => h('li', {}, `${l.at.slice(11, 19)} ${l.message}`)))
}

async function watchJob(job: Job): Promise<void> {
  watching = job.id
  let current = job
  for (;;) {
    showJob(current)
    if (!['queued', 'running'].includes(current.status)) break
    await new Promise((r) => setTimeout(r, 400))
    if (watching !== job.id) return
    try {
      current = await get<Job>(`/jobs/${job.id}`)
    } catch (err) {
      showJob(null, `Lost track of job ${job.id.slice(0, 8)}: ${explain(err)}`)
      return
    }
  }
  watching = null
  if (current.status === 'succeeded') await loadAll()
}

/** A job queued or running when the page opens (by curl, another tab) is followed too. */
async function resumeJob(): Promise<void> {
  if (watching) return
  const jobs = await get<Job[]>('/jobs?limit=5')
  const live = jobs.find((j) => j.status === 'queued' || j.status === 'running')
  if (live) void watchJob(live)
}

// ---------------------------------------------------------------------------------------------
// API key

function keyState(): void {
  const key = apiKey.get()
  input('api-key').value = key
  $('key-state').textContent = key
    ? 'A key is set for this tab (sessionStorage). An admin key is needed to upload, train and activate.'
    : 'No key set: fine when the service runs open. Kept in this tab only (sessionStorage).'
}

function start(): void {
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault()
    apiKey.set(input('api-key').value.trim())
    keyState()
    void loadAll()
  })
  $('key-forget').addEventListener('click', () => {
    apiKey.set('')
    keyState()
    void loadAll()
  })
  $('upload-form').addEventListener('submit', (e) => void upload(e))
  $('train-form').addEventListener('submit', (e) => void train(e))
  keyState()
  void loadAll()
}

start()
