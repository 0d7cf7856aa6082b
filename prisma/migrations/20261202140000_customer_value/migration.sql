-- Customer value (issue 15): each version's observation end, value model and holdout evaluation,
-- and every customer's value computed once per version.
ALTER TABLE "model_versions" ADD COLUMN "as_of" DATE;
ALTER TABLE "model_versions" ADD COLUMN "value" JSONB;
ALTER TABLE "model_versions" ADD COLUMN "evaluation" JSONB;

CREATE TABLE "customer_values" (
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL,
    "reason" TEXT,
    "x" INTEGER NOT NULL,
    "tx" DOUBLE PRECISION NOT NULL,
    "t" DOUBLE PRECISION NOT NULL,
    "mean_repeat_value" DOUBLE PRECISION,
    "purchases" INTEGER NOT NULL,
    "recency_days" DOUBLE PRECISION NOT NULL,
    "p_alive" DOUBLE PRECISION,
    "expected_purchases" DOUBLE PRECISION,
    "expected_order_value" DOUBLE PRECISION,
    "clv" DOUBLE PRECISION,
    "churn_risk" TEXT,
    "rfm_r" SMALLINT NOT NULL,
    "rfm_f" SMALLINT NOT NULL,
    "rfm_m" SMALLINT NOT NULL,
    "rfm_group" TEXT NOT NULL,

    CONSTRAINT "customer_values_pkey" PRIMARY KEY ("version","customer_id")
);

CREATE INDEX "customer_values_version_clv_idx" ON "customer_values"("version", "clv" DESC);

ALTER TABLE "customer_values" ADD CONSTRAINT "customer_values_version_fkey" FOREIGN KEY ("version") REFERENCES "model_versions"("version") ON DELETE CASCADE ON UPDATE CASCADE;
