// The client-facing failures of an upload, in one place so that statuses, titles and wording stay
// consistent across the readers (the route and the tests match on status and detail).
import { HttpProblem, type FieldError } from '../errors.ts'

export const MiB = 1024 * 1024

export const emptyUpload = (detail = 'empty upload: the body has no bytes') => new HttpProblem(400, 'Bad Request', detail)

export const tooLarge = (detail: string) => new HttpProblem(413, 'Payload Too Large', detail)

/** An inflation limit or ratio was exceeded: refused before the rest is inflated. */
export const bomb = (what: string, detail: string) =>
  tooLarge(`${what} ${detail}; refusing it as a possible decompression bomb`)

export const unsupported = (detail: string) => new HttpProblem(415, 'Unsupported Media Type', detail)

/** The bytes are of an accepted kind but cannot be read (corrupt, truncated, mislabelled). */
export const unreadable = (detail: string) => new HttpProblem(422, 'Unreadable upload', detail)

export const missingColumns = (detail: string, errors: FieldError[]) => new HttpProblem(422, 'Missing columns', detail, errors)

export const noDataRows = (detail: string) => new HttpProblem(422, 'No data rows', detail)

export const bytesText = (n: number) => (n >= MiB ? `${+(n / MiB).toFixed(1)} MiB` : `${n} bytes`)
