// Mounting helpers for component tests: a fresh pinia and English i18n.
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h, type Component } from 'vue'
import { vi } from 'vitest'
import { makeI18n } from './i18n'

// RouterLink as a plain link that shows its content (names stay checkable).
const RouterLink = defineComponent({
  props: { to: { type: [String, Object], required: true } },
  setup: (_, { slots, attrs }) => () => h('a', { ...attrs, href: '#' }, slots.default?.()),
})

export function mountWith<C extends Component>(component: C, options: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const i18n = makeI18n('en')
  return {
    i18n,
    wrapper: mount(component, {
      ...options,
      global: { plugins: [pinia, i18n], stubs: { RouterLink, RouterView: true } },
    } as ComponentMountingOptions<C>),
  }
}

/** Replaces fetch: answers the CSRF token, and each path from `routes` (the
 * first key the URL starts with; `{}` otherwise). Returns the calls made. */
export function stubFetch(routes: Record<string, unknown> = {}) {
  const calls: { url: string; init?: RequestInit }[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input)
      calls.push({ url, init })
      if (url === '/api/v1/auth/csrf') return new Response('{"csrf_token":"t"}')
      const key = Object.keys(routes).find((k) => url.startsWith(k))
      return new Response(JSON.stringify(key ? routes[key] : {}))
    }),
  )
  return calls
}

/** The mutating calls among `calls`: method, path and parsed body. */
export function mutations(calls: { url: string; init?: RequestInit }[]) {
  return calls
    .filter((c) => c.init?.method && c.init.method !== 'GET')
    .map((c) => ({ method: c.init!.method, url: c.url, body: c.init!.body ? JSON.parse(String(c.init!.body)) : null }))
}

/** The controls under `root` with no accessible name (label, aria-label,
 * aria-labelledby, or a button's or link's own text). */
export function unlabelled(root: HTMLElement): string[] {
  const missing: string[] = []
  for (const el of root.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')) {
    const id = el.id
    const named =
      !!el.getAttribute('aria-label') ||
      !!el.getAttribute('aria-labelledby') ||
      !!el.closest('label') ||
      (id && root.querySelector(`label[for="${id}"]`)) ||
      ((el.tagName === 'BUTTON' || el.tagName === 'A') && el.textContent!.trim() !== '')
    if (!named) missing.push(el.outerHTML.slice(0, 100))
  }
  return missing
}
