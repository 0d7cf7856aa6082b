// Transaction uploads. The body is never buffered: the raw request stream (or the multipart
// field `file`) flows through the upload thread's reader into a COPY, all in one transaction
// (the upload service, src/datasets/uploads.ts).
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { Type } from 'typebox'
import type { Config } from '../config.ts'
import { deleteDataset, getDataset, listDatasets } from '../datasets/store.ts'
import { DatasetUploads, type Upload } from '../datasets/uploads.ts'
import { HttpProblem } from '../errors.ts'
import { DatasetParams, UploadQuery } from '../schemas/datasets.ts'
import { problems } from '../schemas/problem.ts'

const tags = ['datasets']
const DatasetRef = Type.Ref('Dataset')

/** busboy reports a malformed multipart body with plain Errors; @fastify/multipart's own carry a status. */
function multipartProblem(err: unknown): unknown {
  if (err instanceof HttpProblem || typeof (err as { statusCode?: unknown }).statusCode === 'number') return err
  return new HttpProblem(400, 'Bad Request', `malformed multipart body: ${err instanceof Error ? err.message : String(err)}`)
}

/** The upload's bytes and what the request says they are; `received.part` is the multipart file, once there is one. */
async function uploadSource(request: FastifyRequest, maxBytes: number, received: { part?: Readable }): Promise<Pick<Upload, 'source' | 'hints'>> {
  const contentType = request.headers['content-type'] ?? ''
  if (/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
    throw new HttpProblem(415, 'Unsupported Media Type', 'a dataset is uploaded as a file (CSV, gzipped CSV or xlsx), not as JSON')
  }
  const declared = Number(request.headers['content-length'] ?? NaN)
  if (declared > maxBytes) {
    throw new HttpProblem(413, 'Payload Too Large', `the upload is ${declared} bytes; the limit is ${maxBytes} (MAX_UPLOAD_BYTES)`)
  }
  if (request.isMultipart()) {
    const file = await request.file().catch((e: unknown) => { throw multipartProblem(e) })
    if (!file) throw new HttpProblem(400, 'Bad Request', 'the multipart upload has no field named "file"')
    received.part = file.file
    return { source: file.file, hints: { contentType: file.mimetype } }
  }
  if (request.body === undefined || request.body === null) throw new HttpProblem(400, 'Bad Request', 'empty upload: the request has no body')
  return { source: request.body as Readable, hints: { contentType, contentEncoding: request.headers['content-encoding'] } }
}

const datasets: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, opts) => {
  const { maxUploadBytes, maxInflatedBytes } = opts.config
  const uploads = new DatasetUploads(app.db, { maxBytes: maxUploadBytes, maxInflatedBytes }, app.log)
  app.addHook('preClose', async () => uploads.drain())
  app.addHook('onClose', async () => uploads.close())

  // Uploads get their own scope: every content type passes through as a stream, and JSON is
  // refused by the handler instead of being parsed.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>()
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload))
    await scope.register(multipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes + 1 } })

    scope.post(
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
        const received: { part?: Readable } = {}
        try {
          const { name, ...reading } = request.query
          const { dataset, created } = await uploads.upload({ ...(await uploadSource(request, maxUploadBytes, received)), reading, name })
          if (created) reply.code(201).header('location', `/datasets/${dataset.id}`)
          return dataset
        } catch (err) {
          // Refused before the whole body was read: close the connection rather than drain it.
          if (!request.raw.complete) reply.header('connection', 'close')
          // A part that failed (truncated or malformed body) explains whatever the reader threw.
          throw received.part?.errored && !(err instanceof HttpProblem) ? multipartProblem(received.part.errored) : err
        }
      },
    )
  })

  app.get('/datasets', { schema: { tags, summary: 'Every dataset, newest first', response: { 200: Type.Array(DatasetRef) } } }, async () =>
    listDatasets(app.db),
  )

  app.get(
    '/datasets/:id',
    { schema: { tags, summary: 'One dataset', params: DatasetParams, response: { 200: DatasetRef, ...problems(404) } } },
    async (request) => getDataset(app.db, request.params.id),
  )

  app.delete(
    '/datasets/:id',
    { config: { role: 'admin' }, schema: { tags, summary: 'Delete a dataset and its transactions', params: DatasetParams, response: { 204: Type.Null(), ...problems(404) } } },
    async (request, reply) => {
      await deleteDataset(app.db, request.params.id)
      // No payload at all: a null would be serialized (and typed application/json) only to be
      // dropped. The provider types a 204 of Type.Null() as needing one.
      return reply.code(204).send(undefined as unknown as null)
    },
  )
}

export default datasets
