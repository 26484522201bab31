import { describe, expect, it } from 'vitest'
import { pickLanguage } from './prefs'

describe('pickLanguage', () => {
  it('prefers the saved choice, then the browser languages, then English', () => {
    expect(pickLanguage('de', ['en-US'])).toBe('de')
    expect(pickLanguage(null, ['fr-FR', 'de-AT'])).toBe('de')
    expect(pickLanguage('xx', ['fr'])).toBe('en')
    expect(pickLanguage(null, [])).toBe('en')
  })
})
