// Addresses from the bytes of DNS answers as text, exactly as the helper writes the addresses of
// net frames (glibc's inet_ntop), so that an answer's address and a connect's compare equal.

/** Why: an A record's 4 bytes at `at`, dotted quad. */
export function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * Why: an AAAA record's 16 bytes at `at`, in RFC 5952 form as glibc's inet_ntop writes it: lower
 * case hex, no leading zeros, the first longest run of two or more zero groups as "::", and the
 * last 32 bits dotted for an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) address.
 */
export function ipv6Text(b: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += ipv4Text(b, at + 12);
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}
