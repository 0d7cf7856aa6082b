-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN "reference" JSONB;

-- CreateTable
CREATE TABLE "prediction_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "model_version" INTEGER NOT NULL,
    "segment" INTEGER NOT NULL,
    "features" DOUBLE PRECISION[],

    CONSTRAINT "prediction_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "prediction_log_model_version_at_idx" ON "prediction_log"("model_version", "at");
