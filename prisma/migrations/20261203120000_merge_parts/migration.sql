-- Issue 14 point 4: a training's merge fans out into pg-boss jobs by customer-hash range
-- (src/training/merge-fan-out.ts); each job stores its range's merged part here (v8.serialize of
-- a MergedPart), the coordinator reads the batch's parts, finishes the merge and deletes them.
-- A retried job overwrites its row. created_at lets a coordinator remove parts a batch left
-- behind (a range that finished after its batch had given up).
CREATE TABLE "merge_parts" (
    "batch" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "merge_parts_pkey" PRIMARY KEY ("batch", "index")
);
