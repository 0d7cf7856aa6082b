// Training's and drift's features from stored aggregates (issue 14 point 1): the datasets'
// dataset_aggregates, built by the upload's own pass, decoded once and merged over a day window,
// reading transactions only for the customers the merge must rebuild exactly (an invoice shared
// across datasets, a rule-2 key split by the window, or a partial the upload flagged `rebuild`:
// src/aggregates/dedupe.ts). One dataset over all its days gives
// buildFeatures' build bit for bit (exact.ts); any other merge equals it to ~1e-14 relative.
import { finishMerge, splitRange, type DayWindow, type MergedPart } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import type { BuildResult } from '../pipeline/features.ts'
import type { FanOut } from './merge-fan-out.ts'
import { cachedAggregates, dropCachedAggregates } from './merge-jobs.ts'
import { loadAggregates, mergeRange } from './merge-range.ts'

export { loadAggregates } from './merge-range.ts'
export type { FanOut } from './merge-fan-out.ts'

export interface AggregateWindow {
  /** Day numbers (pipeline/calendar.ts): days kept are from <= day <= asOf. */
  asOf?: number
  window?: { from: number }
  /** Stored bytes decoded at a time (RANGE_BYTES; tests make it smaller). */
  rangeBytes?: number
}

/**
 * Stored bytes decoded at a time: a decoded customer-day is JS objects, ~20x its ~140 stored
 * bytes, so the x10 file's 27 MB decoded at once took a training to 714-730 MiB. Bigger
 * aggregates are merged by customer-hash range (the parts' union is the whole merge).
 */
export const RANGE_BYTES = 4 * 2 ** 20

/**
 * The merge of `stored` (the aggregates of `datasetIds`, same order) over the window, one
 * customer-hash range at a time: the rows of the customers to rebuild are read in (dataset
 * order, file order), nothing else. With `fanOut` and more than one range, the ranges are
 * merge-range jobs (merge-fan-out.ts) that any standalone worker process may run; only a caller
 * that may use the job queue passes it (a standalone worker's training: not the training thread,
 * which has no pg-boss, nor the API process, whose event loop must not run merges). Either way
 * the same ranges give the same parts, so the same build bit for bit.
 */
export async function mergeStored(db: Database, datasetIds: readonly string[], stored: readonly Uint8Array[], window: DayWindow = {}, rangeBytes = RANGE_BYTES, fanOut?: FanOut): Promise<BuildResult> {
  const bytes = stored.reduce((n, b) => n + b.length, 0)
  const ranges = splitRange(Math.max(1, Math.ceil(bytes / rangeBytes)))
  let parts: MergedPart[] = []
  // Imported when used: the training thread and drift never load the job queue.
  if (fanOut && ranges.length > 1) parts = await (await import('./merge-fan-out.ts')).fanOutMerge(db, datasetIds, window, ranges, fanOut)
  else for (const range of ranges) parts.push(await mergeRange(db, datasetIds, stored, window, range))
  return finishMerge(parts, { asOf: window.asOf })
}

/** The features of `datasetIds` (in order) from their aggregates, or null when one has none stored. */
export async function loadMergedAggregates(db: Database, datasetIds: readonly string[], options: AggregateWindow & { fanOut?: FanOut } = {}): Promise<BuildResult | null> {
  const aggs = await loadAggregates(db, datasetIds)
  return aggs && mergeStored(db, datasetIds, aggs, { asOf: options.asOf, from: options.window?.from }, options.rangeBytes, options.fanOut)
}

/** What a training reads: every day's features, and those of a window (asOf, first day). */
export interface StoredFeatures {
  full: BuildResult
  /**
   * As buildFeatures on the rows from `from` with `asOf` gives them: the tables and baskets of
   * the days in [from, asOf] (reference date asOf), the cleaning counts and purchase days of
   * every day from `from` (the value model's holdout lies after asOf).
   */
  windowed(asOf: number, from?: number): Promise<BuildResult>
  /** The merges are over: this process' cached copy of the stored bytes (merge-jobs.ts) is let go. */
  release(): void
}

/**
 * The datasets' features from their aggregates; null when one has none (a file whose dates were
 * re-read day first is stored without them: the caller builds from its transactions).
 */
export async function storedFeatures(db: Database, datasetIds: readonly string[], options: { fanOut?: FanOut } = {}): Promise<StoredFeatures | null> {
  const { fanOut } = options
  // Fanned out, the bytes come through the range jobs' cache: the ranges this process runs itself
  // read no second copy.
  const aggs = await (fanOut ? cachedAggregates(db, datasetIds) : loadAggregates(db, datasetIds))
  if (aggs === null) return null
  const full = await mergeStored(db, datasetIds, aggs, {}, RANGE_BYTES, fanOut)
  return {
    full,
    async windowed(asOf, from) {
      const tables = await mergeStored(db, datasetIds, aggs, { asOf, from }, RANGE_BYTES, fanOut)
      const wide = from === undefined ? full : await mergeStored(db, datasetIds, aggs, { from }, RANGE_BYTES, fanOut)
      return { ...tables, cleaning: wide.cleaning, purchaseDays: wide.purchaseDays }
    },
    release: () => dropCachedAggregates(datasetIds),
  }
}
