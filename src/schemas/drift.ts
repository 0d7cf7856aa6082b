import { Type, type Static } from 'typebox'

export const DriftQuery = Type.Object({
  datasetId: Type.Optional(Type.String({ format: 'uuid', description: 'Default: the newest dataset' })),
  window: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}[mhd]$', description: 'Compare the predictions logged over this window instead, e.g. 90m, 24h, 7d' })),
  model: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the active model' })),
  threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'p-value (small references) or distance threshold; Evidently defaults otherwise' })),
  psiBins: Type.Optional(Type.Integer({ minimum: 2, maximum: 100, default: 10 })),
  driftShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5, description: 'Share of drifted features at which the dataset counts as drifted' })),
})
export type DriftQuery = Static<typeof DriftQuery>

const FeatureDrift = Type.Object({
  feature: Type.String(),
  method: Type.String({ description: 'ks, chisquare, z, wasserstein (normed) or jensenshannon' }),
  statistic: Type.Union([Type.Number(), Type.Null()]),
  pValue: Type.Optional(Type.Number()),
  threshold: Type.Number(),
  drifted: Type.Boolean(),
  psi: Type.Number(),
  psiBand: Type.String({ description: 'none (< 0.1), moderate (< 0.25) or significant' }),
})

export const DriftResponse = Type.Object({
  modelVersion: Type.Integer(),
  source: Type.Object({ datasetId: Type.Optional(Type.String()), window: Type.Optional(Type.String()) }),
  referenceSize: Type.Integer(),
  currentSize: Type.Integer(),
  regime: Type.String({ description: 'tests (reference ≤ 1,000 customers) or distances' }),
  features: Type.Array(FeatureDrift),
  driftShare: Type.Number(),
  driftShareThreshold: Type.Number(),
  datasetDrift: Type.Boolean(),
  segments: Type.Unknown({ description: 'Shift of segment shares: chi-squared and Jensen-Shannon between training and current assignments' }),
  fit: Type.Unknown({ description: 'Distance to the nearest centroid, and PCA reconstruction error where the model has a PCA: current mean against the training mean ± 3 sigma' }),
  recommendation: Type.String(),
})

export const CheckBody = Type.Object(
  {
    datasetId: Type.Optional(Type.String({ format: 'uuid' })),
    retrainOnDrift: Type.Optional(Type.Boolean({ default: false, description: 'Queue a retrain on the model\'s datasets plus this one when the data drifted' })),
    activate: Type.Optional(Type.Union([Type.Literal('if-better'), Type.Literal('always'), Type.Literal('never')], { default: 'if-better' })),
  },
  { additionalProperties: false },
)
export type CheckBody = Static<typeof CheckBody>

export const CheckResponse = Type.Object({ drift: DriftResponse, retrain: Type.Union([Type.Ref('Job'), Type.Null()]), reason: Type.String() })
