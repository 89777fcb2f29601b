/**
 * Which webhook URLs may be called. Without `allowPrivateTargets`, a target may not reach loopback,
 * private, link-local, shared (CGNAT), multicast, reserved or cloud-metadata addresses: neither by a
 * literal address in the URL nor through any address its host name resolves to. The check runs when a
 * target is added and again on every connection (the socket connects to the address that was checked,
 * so a name that changes its answer between check and connect gains nothing).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Host names that are metadata services or loopback whatever they resolve to. */
const BLOCKED_NAMES = /^(localhost|.*\.localhost|metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)\.?$/i;

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address, if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** True when `address` (an IP literal) is loopback, private, link-local, metadata or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== undefined) return blocked.check(v4, 'ipv4');
    return blocked.check(bare, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

/** Why `url` may not be a target (syntax, scheme, credentials, private literal address), or `undefined`. */
export function urlProblem(url: unknown, allowPrivateTargets: boolean): string | undefined {
  if (typeof url !== 'string' || url.trim() === '') return 'must be an absolute http(s) URL such as "https://hooks.example.com/deployments".';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL; give an absolute http(s) URL such as "https://hooks.example.com/deployments".';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `must use http or https (not ${parsed.protocol.replace(/:$/, '')}).`;
  if (parsed.username || parsed.password) return 'must not hold a user name or password; the signature authenticates deliveries.';
  if (allowPrivateTargets) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (BLOCKED_NAMES.test(host)) return `points at "${host}", a loopback or metadata host; set allowPrivateTargets to allow it.`;
  if (isIP(host) && isPrivateAddress(host)) return `points at ${host}, a loopback, private, link-local or metadata address; set allowPrivateTargets to allow it.`;
  return undefined;
}

/** Resolves `host` and answers the first address that is not allowed, if any (a name that does not resolve passes here: it fails at delivery). */
export async function resolvedPrivateAddress(host: string): Promise<string | undefined> {
  if (isIP(host)) return isPrivateAddress(host) ? host : undefined;
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    dnsLookup(host, { all: true }, (err, list) => resolve(err ? [] : list));
  });
  return addresses.find((a) => isPrivateAddress(a.address))?.address;
}

/** Thrown (as a connection error) when a target's name resolves to an address that is not allowed. */
export class PrivateTargetError extends Error {
  readonly code = 'EWEBHOOKPRIVATE';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, private, link-local or metadata address (allowPrivateTargets is off).`);
    this.name = 'PrivateTargetError';
  }
}

/**
 * A `lookup` for http(s).request: resolves as usual, then refuses the connection when any answer is not
 * allowed. The socket connects only to an address this function returned, so the check cannot be raced.
 */
export const safeLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) {
      (callback as (e: Error | null, a: string | LookupAddress[], f?: number) => void)(err, []);
      return;
    }
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    const cb = callback as (e: Error | null, a: string | LookupAddress[], f?: number) => void;
    if (bad || list.length === 0) {
      cb(new PrivateTargetError(hostname, bad?.address ?? 'no address'), []);
      return;
    }
    if ((options as { all?: boolean }).all) cb(null, list);
    else cb(null, list[0]!.address, list[0]!.family);
  });
};
