import { describe, expect, it } from 'vitest'
import { attachmentUrl, fit, formatSize, toBase64 } from './attachments'

describe('attachments', () => {
  it('encodes large byte arrays to base64 in chunks', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i & 0xff)
    const b64 = toBase64(bytes)
    const back = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    expect(back).toEqual(bytes)
    expect(toBase64(new Uint8Array([0, 1, 255]))).toBe('AAH/')
  })
  it('bounds image sides and names sizes and routes', () => {
    expect(fit(4000, 2000)).toEqual({ w: 1280, h: 640 })
    expect(fit(100, 50)).toEqual({ w: 100, h: 50 })
    expect(formatSize(2048)).toBe('2.0 KB')
    expect(attachmentUrl('ab', 'file', 2)).toBe('/api/v1/lxmf-messages/attachment/ab/file?file_index=2')
    expect(attachmentUrl('ab', 'image')).toBe('/api/v1/lxmf-messages/attachment/ab/image')
  })
})
