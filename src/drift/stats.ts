// Drift statistics: two-sample tests and distances between a reference and a current sample,
// one module each under stats/ (this file gathers them for the callers).
//
// Pure functions, no dependencies. Each one names the scipy/Evidently function it reproduces
// and the choices made where they could differ; the distribution functions (special.ts,
// kolmogorov.ts) say how they are computed and how accurate they are, checked against published
// tables and scipy in test/drift.test.ts.
export * from './stats/special.ts'
export * from './stats/kolmogorov.ts'
export { meanStd, sortedCopy } from './stats/samples.ts'
export * from './stats/ks.ts'
export * from './stats/wasserstein.ts'
export * from './stats/jensen-shannon.ts'
export * from './stats/psi.ts'
export * from './stats/chi-square.ts'
export * from './stats/z-test.ts'
// numpy's default 'linear' quantile (Hyndman-Fan type 7), shared with the segment profiles.
export { quantileSorted } from '../pipeline/profiles.ts'
