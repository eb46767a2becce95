/**
 * Payload protection: 64 payload bits + CRC-24 (OpenPGP polynomial) = 88 bits, then a rate-1/3, constraint-length-7
 * convolutional code (generators 133/171/165 octal, terminated with 6 zero tail bits) = 282 coded bits, decoded with
 * a soft-decision Viterbi decoder. The CRC makes a random decode pass with probability 2^-24 (see README.md).
 */

/** Payload length in bytes (64 bits). */
export const PAYLOAD_BYTES = 8;
/** CRC length in bits. */
export const CRC_BITS = 24;
/** Information bits fed to the encoder (payload + CRC). */
export const INFO_BITS = PAYLOAD_BYTES * 8 + CRC_BITS;
const K = 7;
const TAIL = K - 1;
const GENS = [0o133, 0o171, 0o165] as const;
/** Coded bits per mark. */
export const CODED_BITS = (INFO_BITS + TAIL) * GENS.length;

/** CRC-24/OpenPGP over bytes. */
export function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of bytes) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

function parity(x: number): number {
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return x & 1;
}

/** Payload bytes → info bits (payload || CRC-24), MSB first. */
export function payloadToInfoBits(payload: Uint8Array): Uint8Array {
  const crc = crc24(payload);
  const bytes = new Uint8Array(PAYLOAD_BYTES + 3);
  bytes.set(payload);
  bytes[PAYLOAD_BYTES] = (crc >> 16) & 255;
  bytes[PAYLOAD_BYTES + 1] = (crc >> 8) & 255;
  bytes[PAYLOAD_BYTES + 2] = crc & 255;
  const bits = new Uint8Array(INFO_BITS);
  for (let i = 0; i < INFO_BITS; i++) bits[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return bits;
}

/** Info bits → payload bytes if the CRC-24 matches, else null. */
export function infoBitsToPayload(bits: Uint8Array): Uint8Array | null {
  const bytes = new Uint8Array(PAYLOAD_BYTES + 3);
  for (let i = 0; i < INFO_BITS; i++) if (bits[i]) bytes[i >> 3]! |= 1 << (7 - (i & 7));
  const payload = bytes.slice(0, PAYLOAD_BYTES);
  const crc = (bytes[PAYLOAD_BYTES]! << 16) | (bytes[PAYLOAD_BYTES + 1]! << 8) | bytes[PAYLOAD_BYTES + 2]!;
  return crc24(payload) === crc ? payload : null;
}

/** Convolutional encoder (terminated): info bits → CODED_BITS coded bits. */
export function convEncode(info: Uint8Array): Uint8Array {
  const out = new Uint8Array((info.length + TAIL) * GENS.length);
  let reg = 0;
  let o = 0;
  for (let i = 0; i < info.length + TAIL; i++) {
    const b = i < info.length ? info[i]! : 0;
    reg = ((reg << 1) | b) & 0x7f;
    for (const g of GENS) out[o++] = parity(reg & g);
  }
  return out;
}

/** Branch outputs as ±1 for each 7-bit register value (register · 3 + generator), shared by both decoders. */
const BRANCH_SIGNS = Float64Array.from({ length: 128 * GENS.length }, (_, i) => 1 - 2 * parity(Math.floor(i / GENS.length) & GENS[i % GENS.length]!));

/**
 * Soft-decision Viterbi decoder. `soft[i] > 0` means coded bit i is more likely 0 (the embedder maps bit c to the
 * chip sign 1 − 2c). Returns the `nInfo` most likely info bits of a terminated code.
 */
export function viterbiDecode(soft: Float64Array, nInfo: number): Uint8Array {
  const nStates = 1 << (K - 1);
  const steps = nInfo + TAIL;
  const n = GENS.length;
  let metric = new Float64Array(nStates).fill(-Infinity);
  let next = new Float64Array(nStates);
  metric[0] = 0;
  const decisions = new Uint8Array(steps * nStates); // predecessor's dropped bit for each (step, state)
  const outSign = BRANCH_SIGNS;
  for (let t = 0; t < steps; t++) {
    next.fill(-Infinity);
    const base = t * n;
    for (let s = 0; s < nStates; s++) {
      // New state s = ((prev << 1) | b) & 63, so b = s & 1 and prev = (s >> 1) | (d << 5) for dropped bit d.
      const b = s & 1;
      if (t >= nInfo && b === 1) continue; // tail bits are zero
      let best = -Infinity;
      let bestD = 0;
      for (let d = 0; d < 2; d++) {
        const prev = (s >> 1) | (d << 5);
        const m0 = metric[prev]!;
        if (m0 === -Infinity) continue;
        const reg = (prev << 1) | b;
        let m = m0;
        for (let j = 0; j < n; j++) m += soft[base + j]! * outSign[reg * n + j]!;
        if (m > best) {
          best = m;
          bestD = d;
        }
      }
      next[s] = best;
      decisions[t * nStates + s] = bestD;
    }
    const tmp = metric;
    metric = next;
    next = tmp;
  }
  const bits = new Uint8Array(steps);
  let s = 0; // terminated in state 0
  for (let t = steps - 1; t >= 0; t--) {
    bits[t] = s & 1;
    const d = decisions[t * nStates + s]!;
    s = (s >> 1) | (d << 5);
  }
  return bits.slice(0, nInfo);
}

/**
 * List Viterbi decoder (parallel list Viterbi: the `L` best paths into every state at every step). Returns the info
 * bits of the up to `L` most likely paths of the terminated code, most likely first; the first is the Viterbi path.
 * The detector reads a weak mark this way when the single most likely word fails its CRC: one of the next few paths is
 * often the embedded word (decision rule 2 accepts a listed word only on its own correlation; see README.md).
 */
export function listViterbiDecode(soft: Float64Array, nInfo: number, L: number): Uint8Array[] {
  if (L < 1 || L > 256) throw new RangeError('list size must be 1…256');
  const nStates = 1 << (K - 1);
  const steps = nInfo + TAIL;
  const n = GENS.length;
  let metric = new Float64Array(nStates * L).fill(-Infinity);
  let next = new Float64Array(nStates * L);
  metric[0] = 0;
  // back[(t · nStates + s) · L + k] = dropped bit d << 8 | rank of the predecessor entry the k-th path into s came from.
  const back = new Uint16Array(steps * nStates * L);
  const outSign = BRANCH_SIGNS;
  for (let t = 0; t < steps; t++) {
    next.fill(-Infinity);
    const base = t * n;
    for (let s = 0; s < nStates; s++) {
      const b = s & 1;
      if (t >= nInfo && b === 1) continue; // tail bits are zero
      const p0 = s >> 1;
      const p1 = p0 | (1 << (K - 2));
      let bm0 = 0;
      let bm1 = 0;
      const r0 = (p0 << 1) | b;
      const r1 = (p1 << 1) | b;
      for (let j = 0; j < n; j++) {
        bm0 += soft[base + j]! * outSign[r0 * n + j]!;
        bm1 += soft[base + j]! * outSign[r1 * n + j]!;
      }
      // Both predecessors' lists are sorted (descending); adding a branch metric keeps them so: merge the two.
      let i = 0;
      let k = 0;
      let m = 0;
      const o = s * L;
      const bo = (t * nStates + s) * L;
      for (let r = 0; r < L; r++) {
        const v0 = i < L ? metric[p0 * L + i]! + bm0 : -Infinity;
        const v1 = m < L ? metric[p1 * L + m]! + bm1 : -Infinity;
        if (v0 === -Infinity && v1 === -Infinity) break;
        if (v0 >= v1) {
          next[o + k] = v0;
          back[bo + k] = i;
          i++;
        } else {
          next[o + k] = v1;
          back[bo + k] = (1 << 8) | m;
          m++;
        }
        k++;
      }
    }
    const tmp = metric;
    metric = next;
    next = tmp;
  }
  const out: Uint8Array[] = [];
  for (let r = 0; r < L && metric[r]! > -Infinity; r++) {
    const bits = new Uint8Array(steps);
    let s = 0; // terminated in state 0
    let rank = r;
    for (let t = steps - 1; t >= 0; t--) {
      bits[t] = s & 1;
      const bp = back[(t * nStates + s) * L + rank]!;
      rank = bp & 255;
      s = (s >> 1) | ((bp >> 8) << (K - 2));
    }
    out.push(bits.slice(0, nInfo));
  }
  return out;
}
