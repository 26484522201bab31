// vue-i18n in composition mode. Messages are plain objects compiled at run
// time by vue-i18n's JIT compiler, which builds an AST and never uses eval,
// so it runs under a CSP without 'unsafe-eval'.
import { createI18n } from 'vue-i18n'
import en from './locales/en'
import de from './locales/de'

export type Messages = typeof en

export function makeI18n(locale: string = 'en') {
  return createI18n<[Messages], 'en' | 'de', false>({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, de: de as Messages },
    missingWarn: false,
    fallbackWarn: false,
  })
}
