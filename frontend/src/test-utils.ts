// Mounting helpers for component tests: a fresh pinia and English i18n.
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import { makeI18n } from './i18n'

export function mountWith<C extends Component>(component: C, options: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const i18n = makeI18n('en')
  return {
    i18n,
    wrapper: mount(component, {
      ...options,
      global: { plugins: [pinia, i18n], stubs: { RouterLink: true, RouterView: true } },
    } as ComponentMountingOptions<C>),
  }
}
