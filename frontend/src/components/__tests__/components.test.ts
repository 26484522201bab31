import { describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flushPromises } from '@vue/test-utils'
import StartupScreen from '../StartupScreen.vue'
import CopyField from '../CopyField.vue'
import ConnectionBadge from '../ConnectionBadge.vue'
import SettingsPage from '../../pages/SettingsPage.vue'
import { useStatusStore } from '../../stores/status'
import { usePrefsStore } from '../../stores/prefs'
import { mountWith } from '../../test-utils'

const states = (w: ReturnType<typeof mountWith>['wrapper']) =>
  w.findAll('li').map((li) => `${li.attributes('data-stage')}:${li.attributes('data-state')}`)

describe('StartupScreen', () => {
  it('marks stages done, current and waiting as start-up moves on', async () => {
    const { wrapper } = mountWith(StartupScreen)
    const status = useStatusStore()
    status.applyStatus({ stage: 'rns' })
    await nextTick()
    expect(wrapper.get('h1').text()).toBe('Starting MeshChatX')
    expect(states(wrapper)).toEqual(['starting:done', 'rns:current', 'identity:pending', 'ready:pending'])
    expect(wrapper.get('[aria-current="step"]').text()).toContain('Reticulum network')
    status.applyStatus({ stage: 'identity' })
    await nextTick()
    expect(states(wrapper)).toEqual(['starting:done', 'rns:done', 'identity:current', 'ready:pending'])
  })

  it('shows a failure and its reason in an alert', async () => {
    const { wrapper } = mountWith(StartupScreen)
    useStatusStore().applyStatus({ stage: 'failed', error: 'cannot bind 127.0.0.1:4242' })
    await nextTick()
    expect(wrapper.get('h1').text()).toBe('Start-up failed')
    expect(wrapper.get('[role="alert"]').text()).toContain('cannot bind 127.0.0.1:4242')
  })
})

describe('CopyField', () => {
  it('labels its value and copies it to the clipboard', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const { wrapper } = mountWith(CopyField, { props: { label: 'Identity hash', value: 'abc123' } })
    const input = wrapper.get('input')
    expect(wrapper.get(`label[for="${input.attributes('id')}"]`).text()).toBe('Identity hash')
    expect((input.element as HTMLInputElement).value).toBe('abc123')
    expect(input.attributes('readonly')).toBeDefined()
    const button = wrapper.get('button')
    expect(button.text()).toBe('Copy Identity hash')
    await button.trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('abc123')
    expect(wrapper.get('[role="status"]').text()).toBe('Identity hash copied')
  })

  it('says so when copying is refused', async () => {
    const writeText = vi.fn().mockRejectedValue(new Error('denied'))
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const { wrapper } = mountWith(CopyField, { props: { label: 'LXMF address', value: 'x' } })
    await wrapper.get('button').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="status"]').text()).toContain('Copying failed')
  })
})

describe('ConnectionBadge', () => {
  it('shows an offline alert only when offline', async () => {
    const { wrapper } = mountWith(ConnectionBadge)
    const status = useStatusStore()
    expect(wrapper.get('[role="status"]').text()).toBe('Connecting…')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    status.httpOk = true
    await nextTick()
    expect(wrapper.get('[role="status"]').text()).toBe('Connected')
    status.httpOk = false
    await nextTick()
    expect(wrapper.get('[role="status"]').text()).toBe('Offline')
    expect(wrapper.get('[role="alert"]').text()).toContain('not reachable')
  })
})

describe('SettingsPage', () => {
  it('shows the identity from the config and switches theme and language', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{}', { status: 503 })))
    const { wrapper, i18n } = mountWith(SettingsPage)
    const status = useStatusStore()
    const prefs = usePrefsStore()
    expect(wrapper.text()).toContain('Shown once start-up is complete.')
    status.applyStatus({ stage: 'identity' })
    status.applyConfig({ display_name: null, identity_hash: 'f'.repeat(32), lxmf_address_hash: 'e'.repeat(32) })
    await nextTick()
    const values = wrapper.findAll('input[readonly]').map((i) => (i.element as HTMLInputElement).value)
    expect(values).toEqual(['f'.repeat(32), 'e'.repeat(32)])
    expect(wrapper.get('#settings-name').attributes('placeholder')).toBe('Not set')

    await wrapper.get('input[type="radio"][value="dark"]').setValue()
    expect(prefs.theme).toBe('dark')
    await nextTick()
    expect(document.documentElement.classList.contains('dark')).toBe(true)

    await wrapper.get('select').setValue('de')
    expect(prefs.language).toBe('de')
    await nextTick()
    expect(document.documentElement.lang).toBe('de')
    // The app's main.ts wires prefs.language to the i18n locale; here by hand.
    i18n.global.locale.value = 'de'
    await nextTick()
    expect(wrapper.get('h1').text()).toBe('Einstellungen')
    vi.unstubAllGlobals()
  })
})
