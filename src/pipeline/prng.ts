// Small seeded pseudo-random generators. Everything random in the model (k-means++ starts,
// bootstrap resamples, isolation-forest subsamples, silhouette samples) draws from these, so a
// seed fully determines a trained model.

/** A generator of doubles in [0, 1). */
export type Rng = () => number

/** mulberry32: 32-bit state, period 2^32, good enough for sampling and initialisation. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A seed for an independent sub-stream, e.g. `deriveSeed(seed, 'stability', k, b)`. Each part is
 * mixed in with a murmur3-style finaliser, so sub-streams do not depend on the order in which
 * other sub-streams are consumed.
 */
export function deriveSeed(seed: number, ...parts: Array<number | string>): number {
  let h = (seed >>> 0) ^ 0x9e3779b9
  const mix = (x: number): void => {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  for (const p of parts) {
    if (typeof p === 'number') mix(p)
    else for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i))
    mix(0x27d4eb2f)
  }
  return h >>> 0
}

/** An integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n)
}

/** `m` distinct indices of [0, n) (partial Fisher-Yates), in increasing order. */
export function sampleWithoutReplacement(rng: Rng, n: number, m: number): Int32Array {
  if (m > n) throw new RangeError(`cannot sample ${m} of ${n} without replacement`)
  const pool = new Int32Array(n)
  for (let i = 0; i < n; i++) pool[i] = i
  for (let i = 0; i < m; i++) {
    const j = i + randInt(rng, n - i)
    const t = pool[i]!
    pool[i] = pool[j]!
    pool[j] = t
  }
  return pool.slice(0, m).sort()
}
