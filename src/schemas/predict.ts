import { Type } from 'typebox'

export const PredictionSchema = Type.Object(
  {
    customerId: Type.Union([Type.String(), Type.Null()]),
    modelVersion: Type.Integer(),
    segment: Type.Object({ id: Type.Integer(), name: Type.String(), description: Type.String() }),
    distances: Type.Array(Type.Number(), { description: 'Distance to each segment centroid, in segment id order' }),
    features: Type.Record(Type.String(), Type.Number()),
    recommendations: Type.Array(Type.Object({ stockCode: Type.String(), description: Type.String() })),
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

export const ModelQuery = Type.Object({ model: Type.Optional(Type.Integer({ minimum: 1, description: 'Model version (default: the active one)' })) })
