// Data drift between a model's training data and new customers: see stats.ts (the statistics),
// reference.ts (what is stored with a model version) and report.ts (GET /drift's content).
export * from './stats.ts'
export * from './reference.ts'
export * from './report.ts'
