import { Type } from 'typebox'

/** A version's rolling window: the request's {months} or {days} and the days covered, both inclusive. */
export const WindowSchema = Type.Object({
  months: Type.Optional(Type.Integer()),
  days: Type.Optional(Type.Integer()),
  from: Type.String({ description: 'First day in the window (YYYY-MM-DD)' }),
  to: Type.String({ description: 'Last day in the window: asOf (YYYY-MM-DD)' }),
})

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
    asOf: Type.Union([Type.String({ description: 'Observation end (YYYY-MM-DD) of the value model' }), Type.Null()]),
    value: Type.Unknown({ description: '{asOf, timeUnit: "day", bgnbd: {r, alpha, a, b, logLikelihood, customers, converged}, gammaGamma: {p, q, gamma, logLikelihood, customers, converged}, defaults, churnBands, rfmCuts}; null for a version trained before the value model' }),
    window: Type.Union([WindowSchema, Type.Null()], { description: 'The rolling window of POST /train the version was trained on; null: every day up to asOf' }),
    report: Type.Optional(Type.Unknown({ description: 'k scan, PCA, outliers, timings; window (as above) for a windowed training' })),
  },
  { $id: 'Model' },
)

export const ActivationSchema = Type.Object(
  { at: Type.String({ format: 'date-time' }), from: Type.Union([Type.Integer(), Type.Null()]), to: Type.Integer(), reason: Type.String(), actor: Type.String() },
  { $id: 'Activation' },
)

export const VersionParams = Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) })
export const ActivateBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })

const Totals = Type.Object({ actual: Type.Number(), predicted: Type.Number(), baseline: Type.Number() })
const ErrorPair = Type.Object({ model: Type.Number(), baseline: Type.Number() })

export const EvaluationSchema = Type.Object(
  {
    version: Type.Integer(),
    asOf: Type.Union([Type.String(), Type.Null()]),
    evaluation: Type.Union([
      Type.Object({
        holdoutDays: Type.Integer(),
        customers: Type.Integer(),
        purchases: Totals,
        value: Totals,
        byRepeatCount: Type.Array(Type.Object({ repeatCount: Type.String(), customers: Type.Integer(), meanActual: Type.Number(), meanPredicted: Type.Number(), meanBaseline: Type.Number() })),
        mae: Type.Object({ purchases: ErrorPair, value: ErrorPair }),
        rmse: Type.Optional(Type.Object({ purchases: ErrorPair, value: ErrorPair })),
      }),
      Type.Null(),
    ], { description: 'Repeat purchase days and their value predicted in (asOf, asOf + holdoutDays] against what happened; the baseline carries each customer\'s past repeat rate x/T forward. Null without a holdout.' }),
  },
  { $id: 'Evaluation' },
)
