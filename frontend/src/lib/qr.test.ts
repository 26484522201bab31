import { describe, expect, it } from 'vitest'
import { encodeQr, formatBits, lxmfUri, reedSolomon, versionBits } from './qr'
import { FIXTURES } from './qr.fixtures'

const rowsOf = (m: boolean[][]) => m.map((r) => r.map((v) => (v ? '1' : '0')).join(''))

describe('QR encoder', () => {
  it.each(FIXTURES.map((f) => [`${f.text.slice(0, 24)}… (version ${f.version}, mask ${f.mask})`, f] as const))(
    'matches the matrix the Python qrcode package made for %s',
    (_, f) => {
      const qr = encodeQr(f.text, { mask: f.mask })
      expect(qr.version).toBe(f.version)
      expect(rowsOf(qr.modules)).toEqual(f.rows)
    },
  )

  it('chooses the mask qrcode chose where their penalty scores agree', () => {
    // qrcode picked mask 0 for "hello" and 6 for the version 9 text.
    expect(encodeQr('hello').mask).toBe(0)
    const long = FIXTURES.find((f) => f.version === 9)!
    expect(rowsOf(encodeQr(long.text).modules)).toEqual(long.rows)
  })

  it('computes Reed–Solomon, format and version codes as the standard lists them', () => {
    // ISO 18004 annex: the 1-M example "01234567" data codewords and their 10 EC codewords.
    expect(reedSolomon([16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17], 10)).toEqual([
      165, 36, 212, 193, 237, 54, 199, 135, 44, 85,
    ])
    // Level M, mask 0: 101010000010010; version 7: 000111110010010100.
    expect(formatBits(0)).toBe(0b101010000010010)
    expect(versionBits(7)).toBe(0b000111110010010100)
  })

  it('grows the version with the text and refuses what does not fit in version 10', () => {
    expect(encodeQr('a'.repeat(14)).version).toBe(1)
    expect(encodeQr('a'.repeat(15)).version).toBe(2)
    expect(encodeQr('a'.repeat(213)).version).toBe(10)
    expect(() => encodeQr('a'.repeat(214))).toThrow(RangeError)
  })

  it('shares an address as an lxmf:// link', () => {
    expect(lxmfUri('0123456789ABCDEF0123456789ABCDEF')).toBe('lxmf://0123456789abcdef0123456789abcdef')
    expect(encodeQr(lxmfUri('0'.repeat(32))).version).toBe(3)
  })
})
