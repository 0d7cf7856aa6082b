-- Jobs on pg-boss (its own schema, created by pg-boss at start-up): claiming, retry timing and
-- liveness leave our jobs table. It keeps the record the API shows.
DROP INDEX IF EXISTS "jobs_status_run_after_idx";
ALTER TABLE "jobs" DROP COLUMN "run_after", DROP COLUMN "heartbeat_at";
-- Jobs queued by the former queue that never ran have no pg-boss job: they are failed, not left queued forever.
UPDATE "jobs" SET "status" = 'failed', "error" = 'queued before the move to pg-boss; queue it again', "finished_at" = now()
 WHERE "status" IN ('queued', 'running');
