// Waiting on something the service does in the background (a webhook delivery, a job): one loop,
// always with a deadline, failing the test when it passes.

/** Calls `fn` every 200 ms until it returns a value (not undefined); throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
