-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "stage" TEXT,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "params" JSONB NOT NULL,
    "params_key" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "error" TEXT,
    "log" JSONB NOT NULL DEFAULT '[]',
    "model_version" INTEGER,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "run_after" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3),
    "locked_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "version" SERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recipe" TEXT NOT NULL,
    "recipe_version" INTEGER NOT NULL,
    "params" JSONB NOT NULL,
    "datasets" JSONB NOT NULL,
    "k" INTEGER NOT NULL,
    "customers" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL,
    "cleaning" JSONB NOT NULL,
    "report" JSONB NOT NULL,
    "bundle" JSONB NOT NULL,
    "job_id" UUID,
    "activated_at" TIMESTAMPTZ(3),

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "active_model" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "version" INTEGER NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "active_model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "activations" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "from" INTEGER,
    "to" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT NOT NULL,

    CONSTRAINT "activations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assignments" (
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL,
    "segment" INTEGER NOT NULL,
    "distances" DOUBLE PRECISION[],
    "features" DOUBLE PRECISION[],
    "products" TEXT[],
    "outlier" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "assignments_pkey" PRIMARY KEY ("version","customer_id")
);

-- CreateIndex
CREATE INDEX "jobs_status_run_after_idx" ON "jobs"("status", "run_after");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_idempotency_key_key" ON "jobs"("idempotency_key");

-- CreateIndex
CREATE INDEX "assignments_version_segment_customer_id_idx" ON "assignments"("version", "segment", "customer_id");

-- AddForeignKey
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_version_fkey" FOREIGN KEY ("version") REFERENCES "model_versions"("version") ON DELETE CASCADE ON UPDATE CASCADE;
