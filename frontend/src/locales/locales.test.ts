import { describe, expect, it } from 'vitest'
import en from './en'
import de from './de'

/** Every leaf key path of a messages object. */
function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('locales', () => {
  it('German only has keys English has (the rest falls back), and no key has a dot', () => {
    const enKeys = new Set(keys(en))
    expect(keys(de).filter((k) => !enKeys.has(k))).toEqual([])
    // vue-i18n reads a dot as nesting: a key named `lxmf.delivery` is unreachable.
    const dotted = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) => [...(k.includes('.') ? [k] : []), ...(v && typeof v === 'object' ? dotted(v) : [])])
    expect(dotted(en)).toEqual([])
    expect(dotted(de)).toEqual([])
    // The pages' own strings are well on the way in German.
    const share = keys(de).length / enKeys.size
    expect(share).toBeGreaterThan(0.6)
  })
})
