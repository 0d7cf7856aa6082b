// Unconstrained minimisation for the value models' maximum-likelihood fits. The models' parameters
// are all positive, so the fits work in log-space (θ = exp(u)) and the problem is unconstrained.
// BFGS with an analytic gradient: the likelihoods are smooth and cheap to differentiate, and a
// quasi-Newton method needs tens of evaluations where Nelder-Mead needs hundreds (the fit budget is
// 0.3 s for ~4,400 customers, several starts included).

/** f(u) and its gradient at u; `grad` is written in place. Non-finite f means "outside the domain". */
export type Objective = (u: Float64Array, grad: Float64Array) => number

export interface MinimizeOptions {
  /** Stop when the largest gradient component is below this (default 1e-9). */
  gradTol?: number
  /** Stop when an accepted step changes f by less than this, relative to max(1, |f|) (default 1e-15). */
  fTol?: number
  /** Iterations (default 500). */
  maxIter?: number
}

export interface MinimizeResult {
  u: Float64Array
  f: number
  iterations: number
  /** Evaluations of the objective. */
  evaluations: number
  /** The gradient (or f-change) test was met, not the iteration limit or a failed line search. */
  converged: boolean
}

/** BFGS with a backtracking (Armijo) line search; the inverse Hessian is reset when a step fails. */
export function minimizeBfgs(fn: Objective, start: ArrayLike<number>, opts: MinimizeOptions = {}): MinimizeResult {
  const gradTol = opts.gradTol ?? 1e-9
  const fTol = opts.fTol ?? 1e-15
  const maxIter = opts.maxIter ?? 500
  const n = start.length
  let u = Float64Array.from(start)
  let g = new Float64Array(n)
  let f = fn(u, g)
  let evaluations = 1
  if (!Number.isFinite(f)) throw new RangeError('minimizeBfgs: the objective is not finite at the start')
  const H = identity(n)
  const dir = new Float64Array(n)
  let uNew = new Float64Array(n)
  let gNew = new Float64Array(n)
  const s = new Float64Array(n)
  const y = new Float64Array(n)
  let converged = false
  let iterations = 0
  let resets = 0
  for (; iterations < maxIter; iterations++) {
    if (maxAbs(g) < gradTol) {
      converged = true
      break
    }
    // d = -H g; fall back to steepest descent when H stops giving a descent direction
    let slope = 0
    for (let i = 0; i < n; i++) {
      let d = 0
      for (let j = 0; j < n; j++) d -= H[i * n + j]! * g[j]!
      dir[i] = d
      slope += d * g[i]!
    }
    if (!(slope < 0)) {
      resetIdentity(H, n)
      for (let i = 0; i < n; i++) dir[i] = -g[i]!
      slope = -dot(g, g)
    }
    // keep a step in log-space bounded: exp(±20) is far outside any sensible parameter
    const norm = Math.sqrt(dot(dir, dir))
    let step = norm > 5 ? 5 / norm : 1
    let fNew = NaN
    let accepted = false
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < n; i++) uNew[i] = u[i]! + step * dir[i]!
      fNew = fn(uNew, gNew)
      evaluations++
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true
        break
      }
      step *= 0.5
    }
    if (!accepted) {
      // no decrease along the direction: at the optimum to rounding, or H is bad (retry once fresh)
      if (resets++ < 2) {
        resetIdentity(H, n)
        continue
      }
      converged = maxAbs(g) < Math.sqrt(gradTol)
      break
    }
    for (let i = 0; i < n; i++) {
      s[i] = uNew[i]! - u[i]!
      y[i] = gNew[i]! - g[i]!
    }
    const df = f - fNew
    ;[u, uNew] = [uNew, u]
    ;[g, gNew] = [gNew, g]
    f = fNew
    if (df <= fTol * Math.max(1, Math.abs(f)) && maxAbs(g) < Math.sqrt(gradTol)) {
      converged = true
      iterations++
      break
    }
    const sy = dot(s, y)
    if (sy > 1e-300) bfgsUpdate(H, s, y, sy, n)
  }
  return { u, f, iterations, evaluations, converged }
}

/** The best of several starts (lowest f). */
export function minimizeMultiStart(fn: Objective, starts: ReadonlyArray<ArrayLike<number>>, opts: MinimizeOptions = {}): MinimizeResult {
  let best: MinimizeResult | null = null
  let iterations = 0
  let evaluations = 0
  for (const start of starts) {
    let r: MinimizeResult
    try {
      r = minimizeBfgs(fn, start, opts)
    } catch {
      continue // a start outside the domain
    }
    iterations += r.iterations
    evaluations += r.evaluations
    if (best === null || r.f < best.f || (r.f === best.f && r.converged && !best.converged)) best = r
  }
  if (best === null) throw new RangeError('minimizeMultiStart: the objective is not finite at any start')
  return { ...best, iterations, evaluations }
}

function identity(n: number): Float64Array {
  const H = new Float64Array(n * n)
  resetIdentity(H, n)
  return H
}

function resetIdentity(H: Float64Array, n: number): void {
  H.fill(0)
  for (let i = 0; i < n; i++) H[i * n + i] = 1
}

// H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ, ρ = 1 / (yᵀ s)
function bfgsUpdate(H: Float64Array, s: Float64Array, y: Float64Array, sy: number, n: number): void {
  const rho = 1 / sy
  const Hy = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let v = 0
    for (let j = 0; j < n; j++) v += H[i * n + j]! * y[j]!
    Hy[i] = v
  }
  const yHy = dot(y, Hy)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      H[i * n + j] = H[i * n + j]! - rho * (Hy[i]! * s[j]! + s[i]! * Hy[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!
    }
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let v = 0
  for (let i = 0; i < a.length; i++) v += a[i]! * b[i]!
  return v
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}
