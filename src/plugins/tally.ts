// Counters and histograms for the per-request metrics, tallied in plain objects and handed to
// prom-client's registry only when /metrics is scraped. prom-client hashes and validates the
// label set on every inc() and observe(), even through labels(): ~0.4-0.7 µs each, three times
// per prediction request, ~4 % of the server's busy time under load (docs/benchmarks.md,
// "Request overhead"). Here a label set is looked up once by its joined values and its series is
// updated in place. The exposition is prom-client's own (same names, types and label order).
import type { Registry } from 'prom-client'

type Labels = Record<string, string>

interface MetricValue {
  labels: Record<string, string | number>
  value: number
  metricName?: string
}

/** What prom-client's Registry reads from a metric (registerMetric, metrics(), getMetricsAsJSON). */
abstract class Tally<S extends { labels: Labels }> {
  protected readonly series = new Map<string, S>()
  abstract readonly type: 'counter' | 'histogram'
  readonly aggregator = 'sum'
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry) {
    this.name = name
    this.help = help
    this.labelNames = labelNames
    registry.registerMetric(this as never)
  }

  protected abstract create(labels: Labels): S
  protected abstract values(s: S): MetricValue[]

  /** The series of these label values (positional, in labelNames order), created on first use. */
  protected at(values: readonly string[]): S {
    const key = values.length === 1 ? values[0]! : values.join('\u0000')
    let s = this.series.get(key)
    if (!s) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`)
      const labels: Labels = {}
      this.labelNames.forEach((n, i) => { labels[n] = values[i]! })
      this.series.set(key, (s = this.create(labels)))
    }
    return s
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].flatMap((s) => this.values(s)) }
  }

  reset(): void {
    this.series.clear()
  }
}

interface CounterSeries { labels: Labels; value: number; inc(n?: number): void }

export class FastCounter extends Tally<CounterSeries> {
  readonly type = 'counter' as const

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0, inc(n = 1) { this.value += n } }
  }

  protected values(s: CounterSeries): MetricValue[] {
    return [{ labels: s.labels, value: s.value }]
  }

  /** As prom-client's: positional label values; the returned series can be kept and inc()'d. */
  labels(...values: string[]): CounterSeries {
    return this.at(values)
  }

  /** As prom-client's inc(labels, n). */
  inc(labels: Labels, n = 1): void {
    this.at(this.labelNames.map((l) => labels[l] ?? '')).inc(n)
  }
}

interface HistogramSeries { labels: Labels; counts: Float64Array; sum: number; count: number }

export class FastHistogram extends Tally<HistogramSeries> {
  readonly type = 'histogram' as const
  private readonly bounds: readonly number[]

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry)
    this.bounds = [...buckets].sort((a, b) => a - b)
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 }
  }

  /** Counts per bucket are kept non-cumulative and summed up at scrape time, as prom-client does. */
  protected values(s: HistogramSeries): MetricValue[] {
    let acc = 0
    const out: MetricValue[] = this.bounds.map((le, i) => ({ labels: { le, ...s.labels }, value: (acc += s.counts[i]!), metricName: `${this.name}_bucket` }))
    out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` })
    out.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` }, { labels: s.labels, value: s.count, metricName: `${this.name}_count` })
    return out
  }

  /** The series of these label values, to observe() into. */
  labels(...values: string[]): HistogramSeries {
    return this.at(values)
  }

  observe(s: HistogramSeries, value: number): void {
    const i = this.bounds.findIndex((b) => value <= b)
    if (i >= 0) s.counts[i]!++
    s.sum += value
    s.count++
  }
}
