import { describe, expect, it } from 'vitest'
import { bodyOf, draftOf, emptyDraft, formatBytes, formatRate, normaliseHash, rates, validate } from './network'

describe('network helpers', () => {
  it('reads a destination hash as typed, and refuses anything else', () => {
    expect(normaliseHash(' <ABCDEF0123456789abcdef0123456789> ')).toBe('abcdef0123456789abcdef0123456789')
    expect(normaliseHash('abc')).toBeNull()
    expect(normaliseHash('g'.repeat(32))).toBeNull()
  })

  it('formats bytes and rates', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1500)).toBe('1.5 kB')
    expect(formatBytes(2_500_000)).toBe('2.5 MB')
    expect(formatRate(125)).toBe('1.0 kbps')
    expect(formatRate(10)).toBe('80 bps')
  })

  it('computes rates between two samples, not from a first or a reset counter', () => {
    const a = { rxb: 1000, txb: 0, at: 0 }
    expect(rates(undefined, a)).toBeNull()
    expect(rates(a, { rxb: 3000, txb: 500, at: 2000 })).toEqual({ rx: 1000, tx: 250 })
    expect(rates(a, { rxb: 10, txb: 0, at: 2000 })).toBeNull()
    expect(rates(a, { rxb: 2000, txb: 0, at: 0 })).toBeNull()
  })

  it('says which field is wrong and why', () => {
    expect(validate(emptyDraft())).toEqual({ name: 'nameRequired', target_host: 'required', target_port: 'required' })
    const d = { ...emptyDraft(), name: 'A', values: { target_host: 'my host', target_port: '70000' } }
    expect(validate(d)).toEqual({ target_host: 'host', target_port: 'port' })
    expect(validate({ ...d, name: 'x[1]' }).name).toBe('nameChars')
    expect(validate({ ...d, name: 'A' }, ['A']).name).toBe('nameTaken')
    const ok = { ...d, values: { target_host: 'example.org', target_port: '4242' } }
    expect(validate(ok)).toEqual({})
    // An AutoInterface needs nothing but a name.
    expect(validate({ ...emptyDraft('AutoInterface'), name: 'Auto' })).toEqual({})
    const udp = { ...emptyDraft('UDPInterface'), name: 'U', values: { listen_ip: '0.0.0.0', listen_port: '1', forward_ip: '255.255.255.255' } }
    expect(validate(udp)).toEqual({ forward_port: 'required' })
  })

  it('builds the add body: ports as numbers, only the fields of the type', () => {
    const d = { ...emptyDraft(), name: ' To peer ', values: { target_host: '10.0.0.1', target_port: '4242', listen_port: '9' } }
    expect(bodyOf(d)).toEqual({
      name: 'To peer',
      type: 'TCPClientInterface',
      interface_enabled: 'true',
      target_host: '10.0.0.1',
      target_port: 4242,
    })
  })

  it('an edit keeps the settings the form does not show and replaces the entry', () => {
    const entries = { type: 'TCPClientInterface', enabled: 'yes', target_host: 'a', target_port: '1', kiss_framing: 'True' }
    const d = draftOf('Peer', entries)
    expect(d).toMatchObject({ name: 'Peer', type: 'TCPClientInterface', enabled: true, values: { target_host: 'a', target_port: '1' } })
    d.enabled = false
    d.mode = 'roaming'
    expect(bodyOf(d, entries)).toEqual({
      allow_overwriting_interface: true,
      kiss_framing: 'True',
      name: 'Peer',
      type: 'TCPClientInterface',
      interface_enabled: 'false',
      interface_mode: 'roaming',
      target_host: 'a',
      target_port: 1,
    })
  })
})
