-- A dataset's per-customer aggregates (src/aggregates/codec.ts), built in the upload's own pass.
CREATE TABLE "dataset_aggregates" (
    "dataset_id" UUID NOT NULL,
    "bytes" BYTEA NOT NULL,
    "built_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dataset_aggregates_pkey" PRIMARY KEY ("dataset_id")
);
