import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may be sent (server-side request forgery). An endpoint's URL is typed by a
 * merchant's staff, and the API then makes requests to it from inside the merchant's network:
 * without a rule, a URL could reach the database, Redis, a cloud metadata service
 * (169.254.169.254) or an admin page on the LAN. So:
 *
 * - only addresses on the public internet are reached, unless an address is in
 *   WEBHOOK_ALLOWED_NETWORKS (default: loopback outside production, nothing in production);
 * - the check is made on the address actually connected to (a custom DNS look-up on every
 *   request), so a name that resolves differently later (DNS rebinding) gains nothing;
 * - `https:` only; `http:` to loopback, or anywhere with WEBHOOK_ALLOW_HTTP=on;
 * - redirects are not followed (a 3xx is a failed attempt).
 */

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, and IPv4-compatible (::10.0.0.1)
  ['::ffff:0:0:0', 96], // IPv4-translated
  ['64:ff9b::', 96], // NAT64: may reach any IPv4 address, private ones included
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** The loopback networks: what WEBHOOK_ALLOWED_NETWORKS is outside production. */
export const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];

/** An IPv4 address written as IPv6 (::ffff:10.0.0.1) is checked as the IPv4 address it is. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const kind = isIP(bare);
  if (kind === 4) return { address: bare, family: 'ipv4' };
  if (kind !== 6) return null;
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(.+)$/i.exec(bare)?.[1];
  if (mapped) {
    if (isIP(mapped) === 4) return { address: mapped, family: 'ipv4' };
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
    if (hex) {
      const n = (Number.parseInt(hex[1]!, 16) << 16) | Number.parseInt(hex[2]!, 16);
      return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), family: 'ipv4' };
    }
  }
  return { address: bare.toLowerCase(), family: 'ipv6' };
}

export class WebhookUrlError extends Error {
  constructor(
    readonly reason: 'invalid' | 'scheme' | 'address' | 'credentials',
    message: string,
  ) {
    super(message);
  }
}

/** A DNS look-up of every address of a name (dns.lookup with `all`; tests give their own). */
export type Resolver = (
  hostname: string,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) =>
  dnsLookup(hostname, { all: true } as LookupAllOptions, (err, addresses) => callback(err, addresses ?? []));

export class AddressPolicy {
  private readonly allowed = new BlockList();

  constructor(
    readonly allowedNetworks: readonly string[],
    private readonly allowHttp: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const cidr of allowedNetworks) {
      const [net, bits] = cidr.trim().split('/');
      const n = net ? normalise(net) : null;
      if (!n) throw new Error(`WEBHOOK_ALLOWED_NETWORKS: "${cidr}" is not an address or CIDR network`);
      const prefix = bits === undefined ? (n.family === 'ipv4' ? 32 : 128) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (n.family === 'ipv4' ? 32 : 128))
        throw new Error(`WEBHOOK_ALLOWED_NETWORKS: "${cidr}" has a bad prefix length`);
      this.allowed.addSubnet(n.address, prefix, n.family);
    }
  }

  /** Why `address` may not be connected to, or null when it may. */
  refusal(address: string): string | null {
    const n = normalise(address);
    if (!n) return `${address} is not an IP address`;
    if (!NON_PUBLIC.check(n.address, n.family)) return null;
    if (this.allowed.check(n.address, n.family)) return null;
    return (
      `${address} is not a public address (private, loopback, link-local or reserved); ` +
      'allow its network with WEBHOOK_ALLOWED_NETWORKS'
    );
  }

  isLoopback(address: string): boolean {
    const n = normalise(address);
    return n !== null && LOOPBACK.check(n.address, n.family);
  }

  /**
   * Checks a URL as far as it can be without connecting: form, scheme, credentials, and the host
   * when it is an address (or "localhost"). A host name is checked on every connection (`lookup`).
   */
  checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new WebhookUrlError('invalid', 'not an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new WebhookUrlError('scheme', 'only https: (or http: to a loopback address) is delivered to');
    if (url.username || url.password)
      throw new WebhookUrlError('credentials', 'credentials in the URL are not accepted; put a token in the path');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host) !== 0;
    const localhost = /^localhost\.?$/i.test(host) || /\.localhost\.?$/i.test(host);
    const loopback = localhost || (literal && this.isLoopback(host));
    if (url.protocol === 'http:' && !loopback && !this.allowHttp)
      throw new WebhookUrlError('scheme', 'http: is only delivered to loopback addresses; use https:');
    if (literal) {
      const refused = this.refusal(host);
      if (refused) throw new WebhookUrlError('address', refused);
    }
    if (localhost) {
      const refused = this.refusal('127.0.0.1');
      if (refused) throw new WebhookUrlError('address', refused);
    }
    return url;
  }

  /**
   * A `lookup` for http.request: resolves as usual, then keeps only the addresses the policy
   * allows; none left is an error, so the connection is never made to a refused address.
   */
  readonly lookup = (
    hostname: string,
    options: LookupAllOptions | { all?: boolean; family?: number },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    this.resolve(hostname, (err, addresses) => {
      if (err) return callback(err, []);
      if (!addresses.length)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      const family = (options as { family?: number }).family;
      const ok = addresses.filter(
        (a) => this.refusal(a.address) === null && (family === 4 || family === 6 ? a.family === family : true),
      );
      if (!ok.length) {
        const error: NodeJS.ErrnoException = new Error(
          `refused: ${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}: ` +
            `${this.refusal(addresses[0]!.address)}`,
        );
        error.code = 'EWEBHOOKADDRESS';
        return callback(error, []);
      }
      if ((options as { all?: boolean }).all) return callback(null, ok);
      return callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}
