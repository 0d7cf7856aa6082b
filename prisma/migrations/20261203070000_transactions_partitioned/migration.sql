-- Issue 14 point 2: transactions LIST-partitioned by dataset, one partition per upload, so an
-- upload's COPY writes into a table of its own with no index to maintain, and a dataset's delete
-- drops that table instead of deleting its rows one by one. The partitions carry no primary key:
-- no reader looks rows up by (dataset, sheet, line) (training reads a dataset's partition whole
-- and sorts it by customer), and the key cost more than the COPY itself (docs/decisions.md).
-- (dataset, sheet, line) stays unique by construction: a partition is written once, by the one
-- COPY of its file's lines. There is no DEFAULT partition, so a row of a dataset without a
-- partition is refused, as the dropped foreign key once refused it.
-- Partition names are src/datasets/partitions.ts's: transactions_ + the id's 32 hex digits.
ALTER TABLE "transactions" RENAME TO "transactions_unpartitioned";
ALTER TABLE "transactions_unpartitioned" DROP CONSTRAINT "transactions_pkey";

-- The columns in the order the old table had them (sheet was added last).
CREATE TABLE "transactions" (
    "dataset_id" UUID NOT NULL,
    "line" INTEGER NOT NULL,
    "invoice_no" TEXT NOT NULL,
    "stock_code" TEXT NOT NULL,
    "description" TEXT,
    "quantity" INTEGER NOT NULL,
    "invoice_date" TIMESTAMP(0) NOT NULL,
    "unit_price" DOUBLE PRECISION NOT NULL,
    "customer_id" TEXT,
    "country" TEXT,
    "sheet" SMALLINT NOT NULL DEFAULT 0
) PARTITION BY LIST ("dataset_id");

-- Existing rows move into one partition per dataset id, made as uploads make theirs (a table with
-- a CHECK on its id, attached afterwards); rows whose dataset row is gone are kept too.
DO $$
DECLARE
  d UUID;
  part TEXT;
BEGIN
  FOR d IN SELECT DISTINCT "dataset_id" FROM "transactions_unpartitioned" LOOP
    part := 'transactions_' || replace(d::text, '-', '');
    EXECUTE format('CREATE TABLE %I (LIKE "transactions" INCLUDING DEFAULTS, CHECK ("dataset_id" = %L::uuid))', part, d);
    EXECUTE format('INSERT INTO %I ("dataset_id", "line", "invoice_no", "stock_code", "description", "quantity", "invoice_date", "unit_price", "customer_id", "country", "sheet")
      SELECT "dataset_id", "line", "invoice_no", "stock_code", "description", "quantity", "invoice_date", "unit_price", "customer_id", "country", "sheet"
      FROM "transactions_unpartitioned" WHERE "dataset_id" = %L::uuid', part, d);
    EXECUTE format('ALTER TABLE "transactions" ATTACH PARTITION %I FOR VALUES IN (%L::uuid)', part, d);
  END LOOP;
END $$;

DROP TABLE "transactions_unpartitioned";
