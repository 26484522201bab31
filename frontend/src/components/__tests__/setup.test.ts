import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flushPromises } from '@vue/test-utils'
import SetupWizard from '../setup/SetupWizard.vue'
import QrCode from '../QrCode.vue'
import { encodeQr } from '../../lib/qr'
import { SETUP_KEY, useSetupStore } from '../../stores/setup'
import { useStatusStore } from '../../stores/status'
import { mountWith, mutations, stubFetch } from '../../test-utils'

const push = vi.hoisted(() => vi.fn())
vi.mock('vue-router', () => ({ useRouter: () => ({ push }) }))

const ME = 'e'.repeat(32)
const PEER = '0123456789abcdef0123456789abcdef'
const config = (display_name: string | null) => ({ display_name, identity_hash: 'f'.repeat(32), lxmf_address_hash: ME })

beforeEach(() => {
  localStorage.clear()
  push.mockClear()
})
afterEach(() => vi.unstubAllGlobals())

function mountWizard(name: string | null = 'Anonymous Peer') {
  const mounted = mountWith(SetupWizard, { attachTo: document.body })
  useStatusStore().applyConfig(config(name))
  return mounted
}

const button = (w: ReturnType<typeof mountWith>['wrapper'], name: string) => {
  const b = w.findAll('button').find((x) => x.text() === name)
  if (!b) throw new Error(`no button ${name}: ${w.findAll('button').map((x) => x.text())}`)
  return b
}

describe('setup store: when the wizard shows', () => {
  it('shows for an unnamed identity until finished, and not again', async () => {
    mountWith(SetupWizard)
    const setup = useSetupStore()
    const status = useStatusStore()
    expect(setup.visible).toBe(false) // no config yet: nothing to decide on
    status.applyConfig(config('Anonymous Peer'))
    await nextTick()
    expect(setup.visible).toBe(true)
    // Naming oneself in the first step does not end it.
    status.applyConfig(config('Alice'))
    await nextTick()
    expect(setup.visible).toBe(true)
    setup.finish()
    await nextTick()
    expect(setup.visible).toBe(false)
    expect(localStorage.getItem(SETUP_KEY)).toBe('done')
  })

  it('does not show for a named identity, nor once this browser finished it', async () => {
    mountWith(SetupWizard)
    useStatusStore().applyConfig(config('Bob'))
    await nextTick()
    expect(useSetupStore().visible).toBe(false)

    localStorage.setItem(SETUP_KEY, 'done')
    mountWith(SetupWizard)
    useStatusStore().applyConfig(config(null))
    await nextTick()
    expect(useSetupStore().visible).toBe(false)
  })
})

describe('SetupWizard', () => {
  it('saves the name, shows the address as a QR code, announces and starts a conversation', async () => {
    const calls = stubFetch({ '/api/v1/config': { config: config('Alice') }, '/api/v1/announce': { message: 'announcing' } })
    const { wrapper } = mountWizard()
    await nextTick()
    expect(wrapper.get('h1').text()).toBe('Welcome to MeshChatX')
    expect(wrapper.text()).toContain('Step 1 of 3')
    await wrapper.get('#setup-name').setValue('  Alice ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(mutations(calls)).toEqual([{ method: 'PATCH', url: '/api/v1/config', body: { display_name: 'Alice' } }])
    expect(useStatusStore().config?.display_name).toBe('Alice')

    // Step 2: the address, copyable and as a QR code; the heading has focus.
    expect(wrapper.get('h1').text()).toBe('Your address')
    expect(document.activeElement).toBe(wrapper.get('h1').element)
    expect((wrapper.get('input[readonly]').element as HTMLInputElement).value).toBe(ME)
    const qr = wrapper.get('svg[role="img"]')
    expect(qr.attributes('aria-label')).toBe(`QR code of your address lxmf://${ME}`)
    await button(wrapper, 'Announce now').trigger('click')
    await flushPromises()
    expect(mutations(calls).at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/announce' })
    expect(wrapper.text()).toContain('Announce sent.')

    // Step 3: a bad address is refused; an lxmf:// link opens the chat and ends setup.
    await button(wrapper, 'Next').trigger('click')
    expect(wrapper.get('h1').text()).toBe('Your first conversation')
    await wrapper.get('#setup-peer').setValue('nope')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.get('#setup-peer-error').text()).toContain('32 hexadecimal characters')
    expect(push).not.toHaveBeenCalled()
    await wrapper.get('#setup-peer').setValue(`lxmf://${PEER.toUpperCase()}`)
    await wrapper.get('form').trigger('submit')
    expect(push).toHaveBeenCalledWith({ name: 'messages', params: { peer: PEER } })
    expect(localStorage.getItem(SETUP_KEY)).toBe('done')
    wrapper.unmount()
  })

  it('can be skipped at once, keeping the default name', async () => {
    const calls = stubFetch()
    const { wrapper } = mountWizard()
    await nextTick()
    await button(wrapper, 'Skip setup').trigger('click')
    expect(mutations(calls)).toEqual([])
    expect(localStorage.getItem(SETUP_KEY)).toBe('done')
    expect(push).toHaveBeenCalledWith({ name: 'messages' })
    wrapper.unmount()
  })

  it('goes back and forth, and can end on the Network page', async () => {
    stubFetch()
    const { wrapper } = mountWizard()
    await nextTick()
    // An empty name keeps the default and moves on without a request.
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('Your address')
    await button(wrapper, 'Back').trigger('click')
    expect(wrapper.get('h1').text()).toBe('Welcome to MeshChatX')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    await button(wrapper, 'Next').trigger('click')
    await button(wrapper, 'Browse the Network page').trigger('click')
    expect(push).toHaveBeenCalledWith({ name: 'announces' })
    expect(useSetupStore().visible).toBe(false)
    wrapper.unmount()
  })
})

describe('QrCode', () => {
  it('draws each dark module of the code, inside a quiet zone, with an accessible name', () => {
    const value = `lxmf://${ME}`
    const { wrapper } = mountWith(QrCode, { props: { value, label: 'My code' } })
    const svg = wrapper.get('svg')
    expect(svg.attributes('role')).toBe('img')
    expect(svg.attributes('aria-label')).toBe('My code')
    const code = encodeQr(value)
    const n = code.modules.length
    expect(svg.attributes('viewBox')).toBe(`0 0 ${n + 8} ${n + 8}`)
    const d = wrapper.get('path').attributes('d')!
    const dark = code.modules.flat().filter(Boolean).length
    expect(d.match(/M/g)?.length).toBe(dark)
    // The top-left finder's corner sits after the 4-module quiet zone.
    expect(d.startsWith('M4 4h1v1h-1z')).toBe(true)
    expect(wrapper.html()).not.toContain('style=')
  })
})
