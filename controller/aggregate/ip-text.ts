// Addresses from the bytes of DNS answers as text, exactly as the helper writes the addresses of
// net frames (inet_ntop), so that an answer's address and a connect's compare equal.
import { SocketAddress } from 'node:net';

/** An A record's 4 bytes at `at`, dotted quad. */
export function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * An AAAA record's 16 bytes at `at` in RFC 5952 form. Node's SocketAddress normalises through
 * libuv's inet_ntop, which writes what glibc's does (the helper's): "::" for the first longest
 * zero run, and IPv4-mapped or -compatible addresses with a dotted tail.
 */
export function ipv6Text(b: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}
