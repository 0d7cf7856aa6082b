-- Workbooks are read sheet by sheet as one dataset, and sheet row numbers restart on every sheet:
-- a row is identified by (dataset, sheet, line). sheet is the 1-based worksheet position, 0 for CSV.
ALTER TABLE "transactions" ADD COLUMN "sheet" SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE "transactions" DROP CONSTRAINT "transactions_pkey";
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_pkey" PRIMARY KEY ("dataset_id", "sheet", "line");

-- How the file was read: the date format and decimal mark decided for it, and its worksheets.
ALTER TABLE "datasets" ADD COLUMN "reading" JSONB NOT NULL DEFAULT '{}';
