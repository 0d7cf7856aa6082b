// Features built from a dataset's transactions, for datasets without stored aggregates (training
// and drift merge those: src/training/aggregates.ts): one stored by a path that does not
// aggregate (scripts, bench), or one whose aggregates are still being built after its upload
// (uploads.ts). Building means streaming every transaction out of the database in customer
// order, most of such a training's time (docs/benchmarks.md); one dataset's build is small (a few
// MB for the full UCI file), so it is stored once made. Several datasets together are built from
// their transactions (duplicates and the reference date span them).
import type { Database } from '../db/database.ts'
import { buildFeatures, type BuildResult } from '../pipeline/features.ts'
import { RECIPES } from '../pipeline/recipes/index.ts'
import type { Baskets, FeatureTable } from '../pipeline/types.ts'
import { countGuestRows, readTransactions } from './read.ts'

/**
 * Changes when a recipe changes: a stored build of other versions is rebuilt. `seed:` is the
 * original recipe's former name, kept in the key so builds stored before the rename stay current;
 * `days:1`: builds carry the purchase days of the value model (value/purchase-days.ts).
 */
export const RECIPE_KEY = `seed:${RECIPES.original.version},default:${RECIPES.default.version},days:1`

const b64 = (a: Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')

function fromB64<T extends Float64Array | Int32Array>(s: string, make: (n: number) => T): T {
  const bytes = Buffer.from(s, 'base64')
  const out = make(bytes.length / make(0).BYTES_PER_ELEMENT || 0)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

const tableJson = (t: FeatureTable) => ({ ...t, values: b64(t.values) })
const tableFrom = (t: ReturnType<typeof tableJson>): FeatureTable => ({ ...t, values: fromB64(t.values, (n) => new Float64Array(n)) })

/** The build as JSON; typed arrays as base64, so every double comes back bit for bit. */
export function serializeBuild(b: BuildResult): string {
  const baskets = { ...b.baskets, offsets: b64(b.baskets.offsets), items: b64(b.baskets.items) }
  const p = b.purchaseDays
  const purchaseDays = p && { customerIds: p.customerIds, offsets: b64(p.offsets), days: b64(p.days), values: b64(p.values) }
  return JSON.stringify({ original: tableJson(b.original), default: tableJson(b.default), cleaning: b.cleaning, baskets, purchaseDays })
}

type StoredTable = ReturnType<typeof tableJson>

/** A stored build; one stored before the rename names the original recipe's table `seed`. */
export function parseBuild(text: string): BuildResult {
  const raw = JSON.parse(text) as ({ original: StoredTable } | { seed: StoredTable }) & {
    default: StoredTable
    cleaning: BuildResult['cleaning']
    baskets: Omit<Baskets, 'offsets' | 'items'> & { offsets: string; items: string }
    purchaseDays?: { customerIds: string[]; offsets: string; days: string; values: string }
  }
  const toI32 = (n: number) => new Int32Array(n)
  const p = raw.purchaseDays
  return {
    ...(p && { purchaseDays: { customerIds: p.customerIds, offsets: fromB64(p.offsets, toI32), days: fromB64(p.days, toI32), values: fromB64(p.values, (n) => new Float64Array(n)) } }),
    original: tableFrom('original' in raw ? raw.original : raw.seed),
    default: tableFrom(raw.default),
    cleaning: raw.cleaning,
    baskets: { ...raw.baskets, offsets: fromB64(raw.baskets.offsets, toI32), items: fromB64(raw.baskets.items, toI32) },
  }
}

/** Builds the features of the datasets from their stored transactions (one streaming pass). */
export async function buildFromTransactions(db: Database, datasetIds: readonly string[]): Promise<BuildResult> {
  return buildFeatures(readTransactions(db, datasetIds), { guestRows: await countGuestRows(db, datasetIds) })
}

/** How features are built from stored transactions: in this thread, or in an ingest thread. */
export type FeatureBuilder = (db: Database, datasetIds: readonly string[]) => Promise<BuildResult>

/** Builds one dataset's features and stores them (replacing a build of older recipes). */
export async function storeDatasetFeatures(db: Database, datasetId: string, build: FeatureBuilder = buildFromTransactions): Promise<BuildResult> {
  const built = await build(db, [datasetId])
  // Only while the dataset still exists: it may have been deleted while this ran.
  await db.query(
    `INSERT INTO dataset_features (dataset_id, recipes, build) SELECT $1, $2, $3::jsonb WHERE EXISTS (SELECT 1 FROM datasets WHERE id = $1)
     ON CONFLICT (dataset_id) DO UPDATE SET recipes = EXCLUDED.recipes, build = EXCLUDED.build, created_at = now()`,
    [datasetId, RECIPE_KEY, serializeBuild(built)],
  )
  return built
}

/**
 * The features of the datasets: one dataset's stored build when there is a current one (built
 * and stored now when not), several datasets built from their transactions.
 */
export async function featuresOf(db: Database, datasetIds: readonly string[]): Promise<BuildResult> {
  if (datasetIds.length !== 1) return buildFromTransactions(db, datasetIds)
  const [id] = datasetIds as [string]
  const rows = await db.query<{ build: string }>('SELECT build::text AS build FROM dataset_features WHERE dataset_id = $1 AND recipes = $2', [id, RECIPE_KEY])
  return rows[0] ? parseBuild(rows[0].build) : storeDatasetFeatures(db, id)
}
