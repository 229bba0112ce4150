/** An IPv4 network in CIDR form, e.g. 10.20.0.0/16. */
export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

export const MIN_PREFIX = 16;
export const MAX_PREFIX = 28;

/** Private ranges (RFC 1918): cluster networks must not collide with the internet. */
const PRIVATE_RANGES: Cidr[] = [
  { network: 0x0a000000, prefix: 8 },
  { network: 0xac100000, prefix: 12 },
  { network: 0xc0a80000, prefix: 16 },
];

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

export const formatCidr = ({ network, prefix }: Cidr) => `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join('.')}/${prefix}`;

/** The network, or what is wrong with the text, phrased to follow the field name. */
export function parseCidr(text: string): Cidr | string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return 'must be an IPv4 network in CIDR form, like 10.0.0.0/16';
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o, i) => o > 255 || (match[i + 1].length > 1 && match[i + 1].startsWith('0'))))
    return 'must be an IPv4 network in CIDR form, like 10.0.0.0/16 (each part 0–255, no leading zeros)';
  const prefix = Number(match[5]);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) return `must have a prefix length from /${MIN_PREFIX} to /${MAX_PREFIX}`;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = (address & mask(prefix)) >>> 0;
  if (network !== address) return `is not a network address: the host bits must be zero (did you mean ${formatCidr({ network, prefix })}?)`;
  const cidr = { network, prefix };
  if (!PRIVATE_RANGES.some((range) => contains(range, cidr)))
    return 'must be a private range (within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)';
  return cidr;
}

/** `outer` contains all of `inner`. */
function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && (inner.network & mask(outer.prefix)) >>> 0 === outer.network;
}

/** Two networks share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}
