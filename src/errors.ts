// A client-facing failure. The error handler turns it into an RFC 9457 problem+json body;
// anything that is not an HttpProblem becomes a generic 500 without internals.

export interface FieldError {
  path: string
  message: string
}

export class HttpProblem extends Error {
  readonly status: number
  readonly title: string
  readonly detail: string
  readonly errors: FieldError[] | undefined
  readonly type: string

  constructor(status: number, title: string, detail: string, errors?: FieldError[]) {
    super(detail)
    this.name = 'HttpProblem'
    this.status = status
    this.title = title
    this.detail = detail
    this.errors = errors
    this.type = `https://retail-segments.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`
  }
}
