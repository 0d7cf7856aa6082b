// A bounded, sampled log of predictions in Postgres, so drift can be measured over recent
// traffic (GET /drift?window=24h). Predictions are sampled, buffered in memory and written in one
// INSERT per second; the table is trimmed to its bound as it goes. Losing a buffer in a crash
// loses a second of samples, which a drift statistic does not notice.
//
// At most `maxPerFlush` samples (PREDICTION_LOG_MAX_PER_SECOND) are written per flush, a
// uniform reservoir of that second's sampled predictions: at 25,000 predictions/s a 10 % sample
// wrote 2,500 rows a second, whose serialization, INSERT and trimming share the cores with the
// requests. The log covers PREDICTION_LOG_MAX_ROWS / (rows per second) of traffic: under heavy
// load a long window only sees its last minutes (docs/decisions.md, "Request overhead").
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'

interface Entry {
  version: number
  segment: number
  features: string
}

export class PredictionLog {
  private buffer: Entry[] = []
  /** Sampled predictions since the last flush (the reservoir's denominator). */
  private seen = 0
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private flushes = 0

  private readonly db: Database
  private readonly sample: number
  private readonly maxRows: number
  private readonly log?: FastifyBaseLogger
  private readonly flushMs: number
  private readonly maxPerFlush: number
  constructor(
    db: Database,
    sample: number,
    maxRows: number,
    log?: FastifyBaseLogger,
    flushMs = 1000,
    maxPerFlush = 1000,
  ) {
    this.db = db
    this.sample = sample
    this.maxRows = maxRows
    this.log = log
    this.flushMs = flushMs
    this.maxPerFlush = maxPerFlush
  }

  start(): void {
    if (this.sample <= 0) return
    this.timer = setInterval(() => { void this.flush() }, this.flushMs)
    this.timer.unref()
  }

  /**
   * Records a prediction with probability `sample`. The features are asked for only when it is
   * sampled: building them for every prediction slowed 10,000-item batches.
   */
  record(version: number, segment: number, features: () => ArrayLike<number>): void {
    if (this.sample <= 0 || Math.random() >= this.sample) return
    const seen = ++this.seen
    // Reservoir sampling (Algorithm R): each of the `seen` predictions is kept with the same chance.
    const slot = seen <= this.maxPerFlush ? seen - 1 : Math.floor(Math.random() * seen)
    if (slot >= this.maxPerFlush) return
    const entry = { version, segment, features: `{${Array.prototype.join.call(features(), ',')}}` }
    if (slot < this.buffer.length) this.buffer[slot] = entry
    else this.buffer.push(entry)
  }

  flush(): Promise<void> {
    if (this.buffer.length === 0) return this.flushing ?? Promise.resolve()
    this.flushing ??= (async () => {
      const batch = this.buffer
      this.buffer = []
      this.seen = 0
      try {
        await this.db.query(
          // Each feature vector travels as an array literal: unnest would flatten a 2-D array.
          'INSERT INTO prediction_log (model_version, segment, features) SELECT v, s, f::float8[] FROM unnest($1::int[], $2::int[], $3::text[]) AS u(v, s, f)',
          [batch.map((e) => e.version), batch.map((e) => e.segment), batch.map((e) => e.features)],
        )
        if (++this.flushes % 10 === 0) {
          await this.db.query('DELETE FROM prediction_log WHERE id <= (SELECT max(id) FROM prediction_log) - $1', [this.maxRows])
        }
      } catch (err) {
        this.log?.warn({ err }, 'could not write the prediction log')
      } finally {
        this.flushing = undefined
      }
    })()
    return this.flushing
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
