// Mounting helpers for component tests: a fresh pinia and English i18n.
import { mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { defineComponent, h, type Component } from 'vue'
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
