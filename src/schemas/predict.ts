import { Type } from 'typebox'

export const ValueSchema = Type.Object({
  purchases: Type.Integer({ description: 'Purchase days (distinct days with a non-cancellation line) up to asOf' }),
  recencyDays: Type.Number({ description: 'Days from the last purchase day to asOf' }),
  ageDays: Type.Number({ description: 'Days from the first purchase day to asOf (T)' }),
  pAlive: Type.Number({ description: 'BG/NBD probability that the customer is still active at asOf' }),
  expectedPurchases: Type.Object({ days: Type.Integer(), value: Type.Number() }, { description: 'Expected purchase days in the next `days` days (BG/NBD)' }),
  expectedOrderValue: Type.Number({ description: 'Expected value of one purchase day (Gamma-Gamma conditional mean), in the data\'s currency' }),
  clv: Type.Object({ days: Type.Integer(), discountRate: Type.Number(), value: Type.Number() }, { description: 'Expected value over the next `days` days, discounted at the annual rate (monthly steps, see docs/pipeline.md)' }),
  churnRisk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], { description: 'From P(alive): high below 0.3, low from 0.7' }),
}, { description: 'Customer value as of the version\'s asOf; null without a purchase day up to asOf' })

export const RfmSchema = Type.Object({
  r: Type.Integer(), f: Type.Integer(), m: Type.Integer(), score: Type.String(),
  group: Type.String({ description: 'Champions, Loyal, Potential Loyalist, New, Promising, Need Attention, About to Sleep, At Risk, Can\'t Lose Them, Hibernating, Lost' }),
}, { description: 'Quintile scores 1-5 against the version\'s training customers and the named group' })

export const PredictionSchema = Type.Object(
  {
    customerId: Type.Union([Type.String(), Type.Null()]),
    modelVersion: Type.Integer(),
    segment: Type.Object({ id: Type.Integer(), name: Type.String(), description: Type.String() }),
    distances: Type.Array(Type.Number(), { description: 'Distance to each segment centroid, in segment id order' }),
    features: Type.Record(Type.String(), Type.Number()),
    recommendations: Type.Array(Type.Object({ stockCode: Type.String(), description: Type.String() })),
    value: Type.Optional(Type.Union([ValueSchema, Type.Null()])),
    valueReason: Type.Optional(Type.Literal('no-purchase-days', { description: 'Why value is null: no purchase day up to asOf (cancellations only)' })),
    rfm: Type.Optional(Type.Union([RfmSchema, Type.Null()])),
  },
  { $id: 'Prediction' },
)

const Transactions = Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()])), {
  minItems: 1,
  maxItems: 100_000,
  description: 'Rows as in an upload, keyed by column name (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country)',
})

export const PredictItem = Type.Union([
  Type.Object({ customerId: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ features: Type.Record(Type.String(), Type.Number()) }, { additionalProperties: false }),
  Type.Object({ transactions: Transactions }, { additionalProperties: false }),
])

export const BatchBody = Type.Union([
  Type.Object({ customerIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }),
  Type.Object({ items: Type.Array(PredictItem, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false }),
])

export const ModelQuery = Type.Object({
  model: Type.Optional(Type.Integer({ minimum: 1, description: 'Model version (default: the active one)' })),
  horizonDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Horizon of expectedPurchases and clv (default 365)' })),
  discountRate: Type.Optional(Type.Number({ minimum: 0, maximum: 10, description: 'Annual discount rate of clv (default 0.1)' })),
})
