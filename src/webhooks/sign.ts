// Signing webhook deliveries as the Standard Webhooks specification defines it
// (https://www.standardwebhooks.com, "Signature scheme"): the signed content is
// `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256 keyed with the secret's bytes,
// sent base64-encoded as `v1,<signature>` in `webhook-signature`. Secrets are `whsec_` followed
// by the base64 of at least 24 random bytes, so any receiver's Standard Webhooks library
// verifies our deliveries with the secret as we show it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const PREFIX = 'whsec_'

/** A new secret: 32 random bytes, base64, with the specification's `whsec_` prefix. */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

/** The key bytes of a secret; a secret without the prefix is taken as base64 too. */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  const key = Buffer.from(b64, 'base64')
  // Buffer.from ignores characters outside the alphabet; round-tripping catches them.
  if (key.length < 24 || key.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, '')) {
    throw new RangeError('a webhook secret is "whsec_" followed by the base64 of at least 24 bytes')
  }
  return key
}

export interface SignedHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/** Headers for one delivery attempt; `timestamp` is in seconds since the epoch. */
export function signDelivery(secret: string, id: string, timestamp: number, body: string): SignedHeaders {
  const ts = String(Math.floor(timestamp))
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${ts}.${body}`).digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` }
}

/** True when one of the header's space-separated `v1,` signatures matches (constant-time). */
export function verifyDelivery(secret: string, headers: SignedHeaders, body: string): boolean {
  const expected = Buffer.from(signDelivery(secret, headers['webhook-id'], Number(headers['webhook-timestamp']), body)['webhook-signature'])
  return headers['webhook-signature'].split(' ').some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
