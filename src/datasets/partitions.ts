// One partition of `transactions` per dataset (migration 20261203070000_transactions_partitioned).
// An upload makes its partition as a table of its own, COPYs into it and attaches it just before
// it commits: CREATE TABLE ... PARTITION OF would hold an ACCESS EXCLUSIVE lock on `transactions`
// for the whole upload, stopping every reader of every dataset (trainings, feature builds) for
// those seconds, while ATTACH takes SHARE UPDATE EXCLUSIVE, which readers and writers pass. The
// CHECK on the id lets ATTACH skip its scan of the rows. All of it is transactional: an upload
// that fails or dies leaves no table behind.
import type { SqlTx } from '../db/database.ts'

/** A dataset id's form (a UUID): checked before an id goes into SQL or a table name. */
export const isDatasetId = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)

/** The partition's table name: `transactions_` and the id's 32 hex digits (45 characters). */
export function partitionName(datasetId: string): string {
  if (!isDatasetId(datasetId)) throw new Error(`not a dataset id: ${datasetId}`)
  return `transactions_${datasetId.replace(/-/g, '').toLowerCase()}`
}

// The columns of `transactions`, spelled out rather than `LIKE transactions`: LIKE locks
// transactions (ACCESS SHARE) until the upload commits, so a delete's DROP queued behind it would
// hold up every reader for the rest of the upload. ATTACH checks that the two agree (names,
// types, NOT NULL): a column added to transactions and not here fails every upload, tests first.
const COLUMNS = `"dataset_id" UUID NOT NULL, "line" INTEGER NOT NULL, "invoice_no" TEXT NOT NULL, "stock_code" TEXT NOT NULL,
  "description" TEXT, "quantity" INTEGER NOT NULL, "invoice_date" TIMESTAMP(0) NOT NULL, "unit_price" DOUBLE PRECISION NOT NULL,
  "customer_id" TEXT, "country" TEXT, "sheet" SMALLINT NOT NULL DEFAULT 0`

/** Creates the dataset's table, not yet a partition (and no lock on transactions): rows are COPYed into it by name. */
export async function createPartition(tx: SqlTx, datasetId: string): Promise<string> {
  const name = partitionName(datasetId)
  // No index: COPY maintains none, and no reader needs one (docs/decisions.md).
  await tx.query(`CREATE TABLE "${name}" (${COLUMNS}, CHECK (dataset_id = '${datasetId}'::uuid))`)
  return name
}

/** Makes the loaded table the dataset's partition of `transactions` (last step of an upload). */
export async function attachPartition(tx: SqlTx, datasetId: string): Promise<void> {
  await tx.query(`ALTER TABLE transactions ATTACH PARTITION "${partitionName(datasetId)}" FOR VALUES IN ('${datasetId}'::uuid)`)
}

/**
 * Drops the dataset's partition. It takes an ACCESS EXCLUSIVE lock on `transactions`, so it waits
 * for the reads of transactions in flight (a training's, a feature build's) and new reads wait for
 * it; deletes are rare. IF EXISTS: a dataset whose rows were already gone when the partitioning
 * migration ran got no partition.
 */
export async function dropPartition(tx: SqlTx, datasetId: string): Promise<void> {
  await tx.query(`DROP TABLE IF EXISTS "${partitionName(datasetId)}"`)
}
