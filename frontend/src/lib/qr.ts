// A small QR code encoder (ISO/IEC 18004): byte mode, error correction
// level M, versions 1 to 10 (up to 213 bytes; an `lxmf://` address needs
// 39). Written here rather than pulled in as a dependency: the UI only
// ever shows short addresses, and this is a few kilobytes.
//
// Pipeline: bits (mode, length, data, terminator, pad bytes) → codewords
// split into blocks → Reed–Solomon error correction per block → interleave
// → place in the matrix around the function patterns → pick the mask with
// the lowest penalty → write format (and, from version 7, version) info.

/** The share form of an LXMF address, as MeshChatX shows it in its QR codes. */
export function lxmfUri(address: string): string {
  return `lxmf://${address.toLowerCase()}`
}

/** Level M blocks per version: error correction codewords per block, and
 * the data codewords of each block group `[count, dataPerBlock]`. */
const BLOCKS_M: readonly (readonly [number, readonly (readonly [number, number])[]])[] = [
  [10, [[1, 16]]],
  [16, [[1, 28]]],
  [26, [[1, 44]]],
  [18, [[2, 32]]],
  [24, [[2, 43]]],
  [16, [[4, 27]]],
  [18, [[4, 31]]],
  [22, [[2, 38], [2, 39]]],
  [22, [[3, 36], [2, 37]]],
  [26, [[4, 43], [1, 44]]],
]

/** Centre coordinates of the alignment patterns, versions 2 to 10. */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
]

export const MAX_VERSION = BLOCKS_M.length

function dataCapacity(version: number): number {
  return BLOCKS_M[version - 1]![1].reduce((n, [count, size]) => n + count * size, 0)
}

/** The byte mode header: 4 mode bits and an 8-bit (16 from version 10) length. */
function lengthBits(version: number): number {
  return version < 10 ? 8 : 16
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d).
const EXP = new Uint8Array(512)
const LOG = new Uint8Array(256)
{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    LOG[x] = i
    x <<= 1
    if (x & 0x100) x ^= 0x11d
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!
}

function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!
}

/** The generator polynomial ∏ (x − α^i), i < n, highest degree first
 * (its leading 1 left out). */
function generator(n: number): number[] {
  let poly = [1]
  for (let i = 0; i < n; i++) {
    const next = new Array<number>(poly.length + 1).fill(0)
    for (let j = 0; j < poly.length; j++) {
      next[j] = next[j]! ^ poly[j]!
      next[j + 1] = next[j + 1]! ^ gfMul(poly[j]!, EXP[i]!)
    }
    poly = next
  }
  return poly.slice(1)
}

/** The n error correction codewords of a block: the remainder of
 * data · x^n divided by the generator. */
export function reedSolomon(data: readonly number[], n: number): number[] {
  const gen = generator(n)
  const rem = new Array<number>(n).fill(0)
  for (const byte of data) {
    const factor = byte ^ rem.shift()!
    rem.push(0)
    for (let i = 0; i < n; i++) rem[i]! ^= gfMul(gen[i]!, factor)
  }
  return rem
}

/** Mode, length, bytes, terminator and padding: the data codewords. */
function dataCodewords(bytes: Uint8Array, version: number): number[] {
  const capacity = dataCapacity(version)
  const bits: number[] = []
  const put = (value: number, len: number) => {
    for (let i = len - 1; i >= 0; i--) bits.push((value >>> i) & 1)
  }
  put(0b0100, 4)
  put(bytes.length, lengthBits(version))
  for (const b of bytes) put(b, 8)
  put(0, Math.min(4, capacity * 8 - bits.length))
  while (bits.length % 8) bits.push(0)
  const words: number[] = []
  for (let i = 0; i < bits.length; i += 8) words.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0))
  for (let pad = 0xec; words.length < capacity; pad ^= 0xec ^ 0x11) words.push(pad)
  return words
}

/** Blocks with their error correction, interleaved as the symbol carries them. */
function interleave(data: number[], version: number): number[] {
  const [ecLen, groups] = BLOCKS_M[version - 1]!
  const blocks: number[][] = []
  let at = 0
  for (const [count, size] of groups) {
    for (let i = 0; i < count; i++) {
      blocks.push(data.slice(at, at + size))
      at += size
    }
  }
  const out: number[] = []
  const longest = Math.max(...blocks.map((b) => b.length))
  for (let i = 0; i < longest; i++) for (const b of blocks) if (i < b.length) out.push(b[i]!)
  const ecs = blocks.map((b) => reedSolomon(b, ecLen))
  for (let i = 0; i < ecLen; i++) for (const e of ecs) out.push(e[i]!)
  return out
}

/** A BCH code: `value` followed by the remainder of its division by `poly`. */
function bch(value: number, poly: number, polyDegree: number): number {
  let rem = value << polyDegree
  for (let bit = 31 - Math.clz32(rem); bit >= polyDegree; bit--) {
    if ((rem >>> bit) & 1) rem ^= poly << (bit - polyDegree)
  }
  return (value << polyDegree) | rem
}

/** The 15 format bits for level M (indicator 00) and a mask. */
export function formatBits(mask: number): number {
  return bch(mask, 0x537, 10) ^ 0x5412
}

/** The 18 version bits (versions 7 and up). */
export function versionBits(version: number): number {
  return bch(version, 0x1f25, 12)
}

const MASKS: readonly ((r: number, c: number) => boolean)[] = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (_, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
]

type Grid = boolean[][]

/** The matrix under construction: module colours, and which modules are
 * function patterns (neither data nor masked). */
class Builder {
  readonly size: number
  readonly dark: Grid
  readonly reserved: Grid

  constructor(readonly version: number) {
    this.size = 17 + 4 * version
    this.dark = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false))
    this.reserved = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false))
    this.functionPatterns()
  }

  set(r: number, c: number, dark: boolean): void {
    this.dark[r]![c] = dark
    this.reserved[r]![c] = true
  }

  private functionPatterns(): void {
    const n = this.size
    // Finders with their light separators, in three corners.
    for (const [r0, c0] of [[0, 0], [0, n - 7], [n - 7, 0]] as const) {
      for (let dr = -1; dr <= 7; dr++) {
        for (let dc = -1; dc <= 7; dc++) {
          const r = r0 + dr
          const c = c0 + dc
          if (r < 0 || c < 0 || r >= n || c >= n) continue
          const ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3))
          this.set(r, c, ring !== 2 && ring !== 4)
        }
      }
    }
    // Timing patterns.
    for (let i = 8; i < n - 8; i++) {
      this.set(6, i, i % 2 === 0)
      this.set(i, 6, i % 2 === 0)
    }
    // Alignment patterns, except where they would overlap a finder.
    const centres = ALIGNMENT[this.version - 1]!
    for (const r of centres) {
      for (const c of centres) {
        if ((r === 6 && c === 6) || (r === 6 && c === n - 7) || (r === n - 7 && c === 6)) continue
        for (let dr = -2; dr <= 2; dr++) {
          for (let dc = -2; dc <= 2; dc++) this.set(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1)
        }
      }
    }
    // Reserve the format areas (written once the mask is known) and the dark module.
    this.format(0)
    if (this.version >= 7) {
      const bits = versionBits(this.version)
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1
        this.set(Math.floor(i / 3), n - 11 + (i % 3), dark)
        this.set(n - 11 + (i % 3), Math.floor(i / 3), dark)
      }
    }
  }

  /** Writes the format bits (bit 0 the least significant) in both places. */
  format(mask: number): void {
    const n = this.size
    const bits = formatBits(mask)
    const bit = (i: number) => ((bits >>> i) & 1) === 1
    // Around the top-left finder: down column 8, then left along row 8.
    for (let i = 0; i <= 5; i++) this.set(i, 8, bit(i))
    this.set(7, 8, bit(6))
    this.set(8, 8, bit(7))
    this.set(8, 7, bit(8))
    for (let i = 9; i < 15; i++) this.set(8, 14 - i, bit(i))
    // The copy: along row 8 under the top-right finder, down column 8 by the bottom-left one.
    for (let i = 0; i < 8; i++) this.set(8, n - 1 - i, bit(i))
    for (let i = 8; i < 15; i++) this.set(n - 15 + i, 8, bit(i))
    this.set(n - 8, 8, true)
  }

  /** Codeword bits, most significant first, in the two-column zigzag from
   * the bottom right (skipping the vertical timing column); modules left
   * over are the remainder bits, light. */
  place(codewords: readonly number[]): void {
    const n = this.size
    let i = 0
    const total = codewords.length * 8
    let upward = true
    for (let right = n - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5
      for (let k = 0; k < n; k++) {
        const r = upward ? n - 1 - k : k
        for (const c of [right, right - 1]) {
          if (this.reserved[r]![c]) continue
          this.dark[r]![c] = i < total && ((codewords[i >>> 3]! >>> (7 - (i & 7))) & 1) === 1
          i++
        }
      }
      upward = !upward
    }
  }

  /** Flips the data modules where the mask says so (applying twice undoes it). */
  mask(m: number): void {
    const fn = MASKS[m]!
    for (let r = 0; r < this.size; r++) {
      for (let c = 0; c < this.size; c++) if (!this.reserved[r]![c] && fn(r, c)) this.dark[r]![c] = !this.dark[r]![c]
    }
  }
}

/** The penalty score of a finished matrix (the four rules of the standard). */
export function penalty(m: Grid): number {
  const n = m.length
  let score = 0
  const at = (r: number, c: number, rows: boolean) => (rows ? m[r]![c]! : m[c]![r]!)
  for (const rows of [true, false]) {
    for (let a = 0; a < n; a++) {
      // Rule 1: runs of five or more of one colour.
      let run = 1
      for (let b = 1; b <= n; b++) {
        if (b < n && at(a, b, rows) === at(a, b - 1, rows)) run++
        else {
          if (run >= 5) score += run - 2
          run = 1
        }
      }
      // Rule 3: the finder-like 1:1:3:1:1 pattern with four light modules on one side.
      for (let b = 0; b + 11 <= n; b++) {
        const s = Array.from({ length: 11 }, (_, k) => at(a, b + k, rows))
        const core = (o: number) =>
          s[o] && !s[o + 1] && s[o + 2] && s[o + 3] && s[o + 4] && !s[o + 5] && s[o + 6]
        if (core(0) && !s[7] && !s[8] && !s[9] && !s[10]) score += 40
        if (core(4) && !s[0] && !s[1] && !s[2] && !s[3]) score += 40
      }
    }
  }
  // Rule 2: 2×2 blocks of one colour.
  for (let r = 0; r + 1 < n; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = m[r]![c]
      if (v === m[r]![c + 1] && v === m[r + 1]![c] && v === m[r + 1]![c + 1]) score += 3
    }
  }
  // Rule 4: how far the share of dark modules is from half, in steps of 5 %.
  const dark = m.reduce((k, row) => k + row.filter(Boolean).length, 0)
  score += Math.floor(Math.abs((dark * 100) / (n * n) - 50) / 5) * 10
  return score
}

export interface QrCode {
  version: number
  mask: number
  /** Rows of modules, `true` for dark; no quiet zone. */
  modules: boolean[][]
}

/** Encodes text (as UTF-8) in the smallest version that holds it. `mask`
 * forces a mask pattern (0–7); by default the one with the lowest penalty. */
export function encodeQr(text: string, options: { mask?: number } = {}): QrCode {
  const bytes = new TextEncoder().encode(text)
  let version = 1
  while (version <= MAX_VERSION && 4 + lengthBits(version) + 8 * bytes.length > 8 * dataCapacity(version)) version++
  if (version > MAX_VERSION) throw new RangeError(`too long for a QR code here (${bytes.length} bytes)`)
  const b = new Builder(version)
  b.place(interleave(dataCodewords(bytes, version), version))
  let best = options.mask ?? -1
  if (best < 0) {
    let bestScore = Infinity
    for (let m = 0; m < 8; m++) {
      b.mask(m)
      b.format(m)
      const s = penalty(b.dark)
      if (s < bestScore) [best, bestScore] = [m, s]
      b.mask(m)
    }
  }
  b.mask(best)
  b.format(best)
  return { version, mask: best, modules: b.dark }
}
