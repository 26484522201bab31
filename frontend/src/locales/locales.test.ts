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
  it('German has exactly the keys English has, and no key has a dot', () => {
    const enKeys = new Set(keys(en))
    const deKeys = new Set(keys(de))
    expect(keys(de).filter((k) => !enKeys.has(k))).toEqual([])
    // Complete: nothing falls back to English.
    expect(keys(en).filter((k) => !deKeys.has(k))).toEqual([])
    // vue-i18n reads a dot as nesting: a key named `lxmf.delivery` is unreachable.
    const dotted = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) => [...(k.includes('.') ? [k] : []), ...(v && typeof v === 'object' ? dotted(v) : [])])
    expect(dotted(en)).toEqual([])
    expect(dotted(de)).toEqual([])
    // Every placeholder of a string is in its translation too.
    const leaf = (o: object, path: string): string => path.split('.').reduce((v: any, k) => v[k], o)
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    expect(keys(en).filter((k) => holes(leaf(en, k)).join() !== holes(leaf(de, k)).join())).toEqual([])
  })
})
