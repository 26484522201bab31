import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import DeliverySettings from '../settings/DeliverySettings.vue'
import { useStatusStore } from '../../stores/status'
import { mountWith, mutations, stubFetch, unlabelled } from '../../test-utils'

afterEach(() => vi.unstubAllGlobals())

const config = {
  display_name: 'Me',
  identity_hash: 'e'.repeat(32),
  lxmf_address_hash: 'a'.repeat(32),
  auto_announce_enabled: true,
  auto_announce_interval_seconds: 7200,
  lxmf_inbound_stamp_cost: 0,
}

function mountSettings() {
  const saved = { ...config, lxmf_inbound_stamp_cost: 8 }
  const calls = stubFetch({ '/api/v1/config': { config: saved } })
  const { wrapper } = mountWith(DeliverySettings as never)
  useStatusStore().applyConfig(config)
  return { wrapper, calls }
}

describe('DeliverySettings', () => {
  it('shows the config and saves auto-announce and the stamp cost in one PATCH', async () => {
    const { wrapper, calls } = mountSettings()
    await flushPromises()
    const interval = wrapper.get('#delivery-interval').element as HTMLInputElement
    expect(interval.value).toBe('120')
    await wrapper.get('#delivery-stamp').setValue('8')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(mutations(calls)).toEqual([
      {
        method: 'PATCH',
        url: '/api/v1/config',
        body: { auto_announce_enabled: true, auto_announce_interval_seconds: 7200, lxmf_inbound_stamp_cost: 8 },
      },
    ])
    expect(wrapper.get('[role="status"]').text()).toContain('Saved')
    expect(useStatusStore().config?.lxmf_inbound_stamp_cost).toBe(8)
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
  })

  it('refuses a stamp cost out of range without sending', async () => {
    const { wrapper, calls } = mountSettings()
    await flushPromises()
    await wrapper.get('#delivery-stamp').setValue('300')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(mutations(calls)).toEqual([])
    expect(wrapper.get('[role="alert"]').text()).toBe('The stamp cost is a whole number from 0 to 254.')
  })
})
