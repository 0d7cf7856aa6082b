import { Type } from 'typebox'

const Metrics = Type.Object({
  silhouette: Type.Number(),
  calinskiHarabasz: Type.Number(),
  daviesBouldin: Type.Number(),
  inertia: Type.Number(),
  stability: Type.Number({ description: 'Mean adjusted Rand index of refits on bootstrap resamples' }),
  logRfmSilhouette: Type.Number({ description: 'Silhouette in standardized log-RFM space: the yardstick shared by every recipe' }),
})

export const ModelSchema = Type.Object(
  {
    version: Type.Integer(),
    status: Type.Union([Type.Literal('active'), Type.Literal('candidate'), Type.Literal('archived')]),
    createdAt: Type.String({ format: 'date-time' }),
    recipe: Type.String(),
    recipeVersion: Type.Integer(),
    params: Type.Unknown(),
    datasetIds: Type.Array(Type.String()),
    datasets: Type.Array(Type.Object({ id: Type.String(), sha256: Type.String(), name: Type.String() })),
    k: Type.Integer(),
    customers: Type.Integer(),
    metrics: Metrics,
    cleaning: Type.Unknown({ description: 'Rows and customers left after each cleaning rule' }),
    jobId: Type.Union([Type.String(), Type.Null()]),
    report: Type.Optional(Type.Unknown({ description: 'k scan, PCA, outliers, timings' })),
  },
  { $id: 'Model' },
)

export const ActivationSchema = Type.Object(
  { at: Type.String({ format: 'date-time' }), from: Type.Union([Type.Integer(), Type.Null()]), to: Type.Integer(), reason: Type.String(), actor: Type.String() },
  { $id: 'Activation' },
)

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) })
export const ActivateBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })
