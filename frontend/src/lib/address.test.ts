import { describe, expect, it } from 'vitest'
import { parseAddress } from './address'

describe('parseAddress', () => {
  it('takes a bare, bracketed or lxmf:// address in any case', () => {
    const a = '0123456789abcdef0123456789abcdef'
    expect(parseAddress(a.toUpperCase())).toBe(a)
    expect(parseAddress(` <${a}> `)).toBe(a)
    expect(parseAddress(`lxmf://${a}`)).toBe(a)
  })

  it('refuses what is not 32 hex characters', () => {
    expect(parseAddress('not an address')).toBeNull()
    expect(parseAddress('0123456789abcdef')).toBeNull()
    expect(parseAddress('g'.repeat(32))).toBeNull()
  })
})
