import { Type } from 'typebox'

export const Dataset = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    sha256: Type.String({ description: 'sha256 of the uploaded bytes, as uploaded' }),
    format: Type.Union([Type.Literal('csv'), Type.Literal('csv.gz'), Type.Literal('xlsx')]),
    status: Type.Literal('ready'),
    bytes: Type.Integer(),
    rows: Type.Object({ read: Type.Integer(), accepted: Type.Integer(), rejected: Type.Integer() }),
    rejections: Type.Array(
      Type.Object({
        line: Type.Integer({ description: '1-based line of the file (header = 1); the sheet row for xlsx' }),
        reason: Type.String(),
      }),
      { description: 'The first 100 rejected rows' },
    ),
    customers: Type.Integer(),
    invoices: Type.Integer(),
    countries: Type.Integer(),
    dateRange: Type.Object({
      from: Type.Union([Type.String(), Type.Null()], { description: 'Local time of the first invoice, YYYY-MM-DDTHH:MM:SS' }),
      to: Type.Union([Type.String(), Type.Null()]),
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Dataset' },
)

export const DatasetParams = Type.Object({ id: Type.String() })
export const UploadQuery = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) })
