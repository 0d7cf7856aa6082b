-- The per-row foreign-key check made COPY of the full UCI file 3.7x slower (6.9 s → 1.9 s).
-- A dataset's rows are written only inside the transaction that creates the dataset and deleted
-- with it (src/datasets/store.ts), so the constraint guarded nothing the store does not.
-- DropForeignKey
ALTER TABLE "transactions" DROP CONSTRAINT "transactions_dataset_id_fkey";
