-- CreateTable
CREATE TABLE "dataset_features" (
    "dataset_id" UUID NOT NULL,
    "recipes" TEXT NOT NULL,
    "build" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dataset_features_pkey" PRIMARY KEY ("dataset_id")
);
