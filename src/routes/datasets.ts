// Transaction uploads. The body is never buffered: the raw request stream (or the multipart
// field `file`) flows through the upload thread's reader into a COPY, all in one transaction.
import multipart from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import type { Readable } from 'node:stream'
import { Type, type Static } from 'typebox'
import type { Config } from '../config.ts'
import { storeDatasetFeatures, type FeatureBuilder } from '../datasets/features-store.ts'
import { countGuestRows, transactionsSelect } from '../datasets/read.ts'
import { UploadThreads } from '../datasets/encode-thread.ts'
import { deleteDataset, getDataset, listDatasets, storeUpload } from '../datasets/store.ts'
import { HttpProblem } from '../errors.ts'
import { DatasetParams, UploadQuery } from '../schemas/datasets.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['datasets']

/** busboy reports a malformed multipart body with plain Errors; @fastify/multipart's own carry a status. */
function multipartProblem(err: unknown): unknown {
  if (err instanceof HttpProblem || typeof (err as { statusCode?: unknown }).statusCode === 'number') return err
  return new HttpProblem(400, 'Bad Request', `malformed multipart body: ${err instanceof Error ? err.message : String(err)}`)
}
const DatasetRef = Type.Ref('Dataset')

export default async function datasets(app: FastifyInstance, opts: { config: Config }) {
  const { maxUploadBytes, maxInflatedBytes } = opts.config
  // Uploads are read, and their features built, in threads of their own (encode-thread.ts).
  const threads = new UploadThreads()
  app.addHook('onClose', async () => threads.close())
  // A new dataset's features are built right after its upload, in the background, so the first
  // training or drift report on it does not have to re-read its transactions.
  const building = new Set<Promise<unknown>>()
  const inThread: FeatureBuilder = async (db, ids) => threads.buildFeatures(db.copyOut(transactionsSelect(ids)), await countGuestRows(db, ids))
  const buildFeaturesSoon = (id: string) => {
    const p: Promise<unknown> = storeDatasetFeatures(app.db, id, inThread)
      .catch((err: unknown) => app.log.warn({ err, dataset: id }, 'could not build the dataset\'s features; training will build them'))
      .finally(() => building.delete(p))
    building.add(p)
  }
  app.addHook('preClose', async () => { await Promise.allSettled(building) })

  // Uploads get their own scope: every content type passes through as a stream, and JSON is
  // refused by the handler instead of being parsed.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload))
    await scope.register(multipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes + 1 } })

    scope.post<{ Querystring: Static<typeof UploadQuery> }>(
      '/datasets',
      {
        config: { role: 'admin' },
        schema: {
          tags,
          summary: 'Upload a transaction file (CSV, gzipped CSV or xlsx; raw body or multipart field "file")',
          description:
            'Streams the file into the database in one transaction: all or nothing. The same bytes again return the existing dataset with 200.',
          querystring: UploadQuery,
          consumes: ['text/csv', 'application/gzip', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'multipart/form-data'],
          response: { 200: DatasetRef, 201: DatasetRef, ...problems(400, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        let part: Readable | undefined
        try {
          const contentType = request.headers['content-type'] ?? ''
          if (/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
            throw new HttpProblem(415, 'Unsupported Media Type', 'a dataset is uploaded as a file (CSV, gzipped CSV or xlsx), not as JSON')
          }
          const declared = Number(request.headers['content-length'] ?? NaN)
          if (declared > maxUploadBytes) {
            throw new HttpProblem(413, 'Payload Too Large', `the upload is ${declared} bytes; the limit is ${maxUploadBytes} (MAX_UPLOAD_BYTES)`)
          }
          let source: Readable
          let hints: { contentType?: string; contentEncoding?: string }
          if (request.isMultipart()) {
            const file = await request.file().catch((e: unknown) => { throw multipartProblem(e) })
            if (!file) throw new HttpProblem(400, 'Bad Request', 'the multipart upload has no field named "file"')
            part = file.file
            source = file.file
            hints = { contentType: file.mimetype }
          } else {
            if (request.body === undefined || request.body === null) throw new HttpProblem(400, 'Bad Request', 'empty upload: the request has no body')
            source = request.body as Readable
            hints = { contentType, contentEncoding: request.headers['content-encoding'] }
          }
          const { sheet, dateFormat, decimal, maxRejectedShare } = request.query
          const limits = { maxBytes: maxUploadBytes, maxInflatedBytes, reading: { sheet, dateFormat, decimal, maxRejectedShare } }
          const { dataset, created } = await storeUpload(app.db, (id) => threads.encode(source, { ...hints, ...limits }, id), request.query.name)
          if (created) {
            reply.code(201).header('location', `/datasets/${dataset.id}`)
            buildFeaturesSoon(dataset.id)
          }
          return dataset
        } catch (err) {
          // Refused before the whole body was read: close the connection rather than drain it.
          if (!request.raw.complete) reply.header('connection', 'close')
          // A part that failed (truncated or malformed body) explains whatever the reader threw.
          throw part?.errored && !(err instanceof HttpProblem) ? multipartProblem(part.errored) : err
        }
      },
    )
  })

  app.get('/datasets', { schema: { tags, summary: 'Every dataset, newest first', response: { 200: Type.Array(DatasetRef) } } }, async () =>
    listDatasets(app.db),
  )

  app.get<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id',
    { schema: { tags, summary: 'One dataset', params: DatasetParams, response: { 200: DatasetRef, ...problems(404) } } },
    async (request) => getDataset(app.db, request.params.id),
  )

  app.delete<{ Params: Static<typeof DatasetParams> }>(
    '/datasets/:id',
    { config: { role: 'admin' }, schema: { tags, summary: 'Delete a dataset and its transactions', params: DatasetParams, response: { 204: Type.Null(), ...problems(404) } } },
    async (request, reply) => {
      await deleteDataset(app.db, request.params.id)
      return reply.code(204).send()
    },
  )
}
