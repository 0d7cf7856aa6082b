// Which webhook targets may be called. A registry that posts to any URL is a server-side request
// forgery tool: `http://169.254.169.254/` reads a cloud machine's credentials, `http://10.0.0.1/`
// reaches the internal network. So targets in private, loopback, link-local, shared (CGNAT),
// multicast, reserved and unspecified ranges are refused unless WEBHOOK_ALLOW_PRIVATE=1. The
// check runs on the URL's literal address at registration and again on every address the name
// resolves to at delivery time (`guardedLookup`, used as the socket's DNS lookup), so a name that
// resolves, or later re-resolves, to an internal address is refused too.
import { BlockList, isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'

const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, bits, 'ipv6')

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return { address: mapped[1]!, family: 'ipv4' }
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16), lo = parseInt(hexMapped[2]!, 16)
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' }
  }
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' }
}

/** True for an address outside the public unicast ranges. */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 0) throw new RangeError(`not an IP address: ${address}`)
  const { address: a, family } = unmapped(address)
  return blocked.check(a, family)
}

export class TargetRefused extends Error {
  override name = 'TargetRefused'
}

/** Checks a target URL as registered: http(s), no credentials, and no literal internal address. */
export function checkTargetUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL
  try { url = new URL(raw) } catch { throw new TargetRefused(`not a URL: ${raw}`) }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused(`a webhook URL is http or https, not ${url.protocol}`)
  if (url.username !== '' || url.password !== '') throw new TargetRefused('a webhook URL carries no credentials; sign with the secret instead')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw new TargetRefused(`${url.hostname} is a loopback name; set WEBHOOK_ALLOW_PRIVATE=1 to allow internal targets`)
  }
  if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
    throw new TargetRefused(`${url.hostname} is a private, loopback or link-local address; set WEBHOOK_ALLOW_PRIVATE=1 to allow internal targets`)
  }
  return url
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A DNS lookup for http(s).request that refuses internal addresses after resolution, so the
 * address connected to is the address checked (no window for DNS rebinding).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, [])
      const list = addresses as LookupAddress[]
      const bad = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address))
      if (bad) {
        const refused: NodeJS.ErrnoException = new TargetRefused(`${hostname} resolves to ${bad.address}, a private, loopback or link-local address; set WEBHOOK_ALLOW_PRIVATE=1 to allow internal targets`)
        refused.code = 'EWEBHOOKPRIVATE'
        return callback(refused, [])
      }
      if ((options as { all?: boolean }).all) return callback(null, list)
      callback(null, list[0]!.address, list[0]!.family)
    })
  }
}
