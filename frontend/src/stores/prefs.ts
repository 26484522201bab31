// The browser-side preferences: theme and language, kept in localStorage and
// applied to <html> (the `dark` class, `lang`).
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

export type Theme = 'light' | 'dark' | 'system'
export const THEMES: readonly Theme[] = ['light', 'dark', 'system']
export const LANGUAGES = ['en', 'de'] as const
export type Language = (typeof LANGUAGES)[number]

const THEME_KEY = 'meshchatx.theme'
const LANG_KEY = 'meshchatx.language'
const NOTIFY_KEY = 'meshchatx.notifications'
const SOUND_KEY = 'meshchatx.sound'

function read(key: string): string | null {
  try {
    return globalThis.localStorage?.getItem(key) ?? null
  } catch {
    return null
  }
}

function write(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value)
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}

export function pickLanguage(saved: string | null, browser: readonly string[]): Language {
  const wanted = [saved, ...browser].filter((x): x is string => !!x)
  for (const w of wanted) {
    const base = w.toLowerCase().split('-')[0]
    if ((LANGUAGES as readonly string[]).includes(base ?? '')) return base as Language
  }
  return 'en'
}

export const usePrefsStore = defineStore('prefs', () => {
  const savedTheme = read(THEME_KEY)
  const theme = ref<Theme>(THEMES.includes(savedTheme as Theme) ? (savedTheme as Theme) : 'system')
  const language = ref<Language>(
    pickLanguage(read(LANG_KEY), globalThis.navigator?.languages ?? []),
  )
  const media = globalThis.matchMedia?.('(prefers-color-scheme: dark)')
  const systemDark = ref(media?.matches ?? false)
  media?.addEventListener?.('change', (e) => (systemDark.value = e.matches))

  // Incoming-message alerts: a browser notification and a short sound.
  const notifications = ref(read(NOTIFY_KEY) !== 'off')
  const sound = ref(read(SOUND_KEY) !== 'off')
  watch(notifications, (v) => write(NOTIFY_KEY, v ? 'on' : 'off'))
  watch(sound, (v) => write(SOUND_KEY, v ? 'on' : 'off'))

  function isDark(): boolean {
    return theme.value === 'dark' || (theme.value === 'system' && systemDark.value)
  }

  function apply(): void {
    const root = globalThis.document?.documentElement
    if (!root) return
    root.classList.toggle('dark', isDark())
    root.lang = language.value
  }

  watch([theme, systemDark, language], apply, { immediate: true })
  watch(theme, (t) => write(THEME_KEY, t))
  watch(language, (l) => write(LANG_KEY, l))

  return { theme, language, notifications, sound, isDark }
})
