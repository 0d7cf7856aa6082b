import { Type } from 'typebox'

export const MapQuery = Type.Object({
  model: Type.Optional(Type.Integer({ minimum: 1, description: 'Model version (default: the active one)' })),
  sample: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 2000, description: 'How many customers to return at most (a deterministic sample)' })),
})

export const SegmentMap = Type.Object({
  modelVersion: Type.Integer(),
  customers: Type.Integer({ description: 'Customers of the model version (the sample is drawn from these)' }),
  axes: Type.Array(
    Type.Object({
      name: Type.String({ description: 'PC1, PC2' }),
      varianceShare: Type.Number({ description: "Share of the model space's variance along this axis" }),
      loadings: Type.Record(Type.String(), Type.Number(), { description: "Weight of each model column (the recipe's transformed features) on this axis" }),
    }),
  ),
  points: Type.Array(
    Type.Object({ customerId: Type.String(), segment: Type.Integer(), x: Type.Number(), y: Type.Number() }),
    { description: 'The sampled customers in customer id order; x, y rounded to 4 decimals' },
  ),
})
