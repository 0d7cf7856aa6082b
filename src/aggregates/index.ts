// The per-customer aggregate layer (docs/decisions.md, "Mergeable customer aggregates"): build one
// dataset's partials from its rows in file order, store them compactly, merge any datasets over a
// day window into the recipes' inputs, by customer-hash range.
export { AggregateBuilder, buildAggregate } from './build.ts'
export { decodeAggregate, encodeAggregate, encodeAggregateFrom } from './codec.ts'
export { decodeCustomer, encodeCustomer } from './customer-codec.ts'
export { customerHash, inRange, splitRange } from './hash.ts'
export { finishMerge } from './finish-merge.ts'
export type { MergedPart } from './merge-part.ts'
export {
  mergeAggregates,
  customersToRebuild,
  mergeCustomer,
  mergeCustomerDetail,
  mergePart,
  needsRebuild,
  rebuildCustomer,
  rebuildCustomers,
  type MergeOptions,
} from './merge.ts'
export { Merger, type CustomerMerge } from './merger.ts'
export { FULL_RANGE, NO_REMOVALS, type AggregateDictionary, type CustomerPartial, type DatasetAggregate, type DayPartial, type DayWindow, type HashRange } from './types.ts'
