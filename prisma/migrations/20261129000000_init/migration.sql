-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "rows_read" INTEGER NOT NULL,
    "rows_accepted" INTEGER NOT NULL,
    "rows_rejected" INTEGER NOT NULL,
    "rejections" JSONB NOT NULL,
    "customers" INTEGER NOT NULL,
    "invoices" INTEGER NOT NULL,
    "countries" INTEGER NOT NULL,
    "date_from" TIMESTAMP(0),
    "date_to" TIMESTAMP(0),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
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

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("dataset_id","line")
);

-- CreateIndex
CREATE UNIQUE INDEX "datasets_sha256_key" ON "datasets"("sha256");

-- AddForeignKey
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
