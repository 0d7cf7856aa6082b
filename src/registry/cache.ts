// Which model each API instance serves. The active version is followed through NOTIFY (sent in
// the activation transaction) and, as a fallback that also covers PGlite and lost connections,
// by polling; either way a new version is served within a second of its activation. Versions
// asked for explicitly (?model=) are kept in a small LRU.
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import { MODEL_CHANNEL, activeVersion, noActiveModel } from './models.ts'
import { loadServedModel, type ServedModel } from './served.ts'

const KEEP = 3

export class ModelCache {
  private active: ServedModel | null = null
  private activeLoaded = false
  private readonly others = new Map<number, ServedModel>()
  private timer: NodeJS.Timeout | undefined
  private unlisten: (() => Promise<void>) | undefined
  private refreshing: Promise<void> | undefined

  private readonly db: Database
  private readonly log?: FastifyBaseLogger
  private readonly pollMs: number
  constructor(db: Database, log?: FastifyBaseLogger, pollMs = 500) {
    this.db = db
    this.log = log
    this.pollMs = pollMs
  }

  async start(): Promise<void> {
    await this.refresh()
    this.unlisten = await this.db.listen(MODEL_CHANNEL, () => { void this.refresh() }).catch(() => undefined)
    this.timer = setInterval(() => { void this.refresh() }, this.pollMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.unlisten?.()
    await this.refreshing
  }

  /** True once the active model (or the fact that there is none) has been loaded. */
  get ready(): boolean {
    return this.activeLoaded
  }

  get activeVersion(): number | null {
    return this.active?.version ?? null
  }

  /** Re-reads the active version and loads it if it changed. Concurrent calls share one load. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const version = await activeVersion(this.db)
        if (version !== (this.active?.version ?? null)) {
          const served = version === null ? null : (this.others.get(version) ?? (await loadServedModel(this.db, version)))
          if (this.active) this.remember(this.active)
          this.active = served
          this.log?.info({ version }, 'serving model version')
        }
        this.activeLoaded = true
      } catch (err) {
        this.log?.warn({ err }, 'could not refresh the active model')
      } finally {
        this.refreshing = undefined
      }
    })()
    return this.refreshing
  }

  private remember(m: ServedModel) {
    this.others.delete(m.version)
    this.others.set(m.version, m)
    while (this.others.size > KEEP) this.others.delete(this.others.keys().next().value as number)
  }

  /** The model to answer with: `version` if given, else the active one. */
  async get(version?: number): Promise<ServedModel> {
    if (version === undefined || version === this.active?.version) {
      // With nothing active yet, look again before saying so: the first model may have been
      // activated a moment ago, before the next poll or notification.
      if (!this.active) await this.refresh()
      if (!this.active) throw noActiveModel()
      return this.active
    }
    // Versions are int4 in the database: a larger one (?model=1e20, a forged cursor) does not exist.
    if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) throw new HttpProblem(404, 'Not Found', `model version ${version} does not exist`)
    let m = this.others.get(version)
    if (!m) {
      const loaded = await loadServedModel(this.db, version)
      if (!loaded) throw new HttpProblem(404, 'Not Found', `model version ${version} does not exist`)
      m = loaded
    }
    this.remember(m)
    return m
  }
}
