// How the server process is started: package.json's `start`, the Dockerfile (ENV and CMD),
// scripts/image-check.sh and the benchmarks all use these; test/process-settings.test.ts keeps
// them in step with this module.

/**
 * glibc's malloc: two arenas and a fixed trim threshold return what V8's compilers and the
 * upload's buffers freed (the embedded database's idle RSS, docs/benchmarks.md "Embedded
 * database footprint"). A 64 KiB mmap threshold (glibc's default is 128 KiB) gives the request
 * body's 64 KiB chunks pages of their own, returned when freed: in the main arena they were
 * interleaved with longer-lived allocations, and the server's peak over three x10 uploads rose
 * with each (346 → 452 MiB; with the threshold 345, 345, 345: docs/benchmarks.md, "Upload thread
 * memory"). Read by glibc at process start, so they cannot be set from code.
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '65536' }

/**
 * V8 in Node 24 lets the main thread's young generation grow to two 32 MiB semi-spaces under a
 * high allocation rate, as an upload's is, and keeps those pages. Capped at 4 MiB, the server's
 * idle RSS and its peak during the two-sheet workbook upload fell by ~40-100 MiB, at 6-14 % of
 * the simplest routes' throughput on a quiet machine (more frequent scavenges; 8 MiB cost less
 * but peaked over 300 MiB: docs/benchmarks.md, "Young generation"). V8 reads it when the
 * isolate is made: `v8.setFlagsFromString` at run time has no effect (measured).
 */
export const SERVER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=4']
