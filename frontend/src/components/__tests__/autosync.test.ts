import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import AutoSyncSetting from '../network/AutoSyncSetting.vue'
import { useStatusStore } from '../../stores/status'
import { mountWith, mutations, stubFetch, unlabelled } from '../../test-utils'

afterEach(() => vi.unstubAllGlobals())

const config = {
  display_name: 'Me',
  identity_hash: 'e'.repeat(32),
  lxmf_address_hash: 'a'.repeat(32),
  lxmf_preferred_propagation_node_auto_sync_interval_seconds: 0,
  lxmf_preferred_propagation_node_last_synced_at: null,
}

describe('AutoSyncSetting', () => {
  it('saves the chosen interval at once and shows the last sync', async () => {
    const calls = stubFetch({
      '/api/v1/config': { config: { ...config, lxmf_preferred_propagation_node_auto_sync_interval_seconds: 3600 } },
    })
    const { wrapper } = mountWith(AutoSyncSetting as never)
    useStatusStore().applyConfig(config)
    await flushPromises()
    expect(wrapper.text()).toContain('Last completed sync: never')
    const select = wrapper.get('select')
    expect(select.findAll('option').map((o) => o.text())).toContain('Every 3 hours')
    await select.setValue('3600')
    await flushPromises()
    expect(mutations(calls)).toEqual([
      { method: 'PATCH', url: '/api/v1/config', body: { lxmf_preferred_propagation_node_auto_sync_interval_seconds: 3600 } },
    ])
    expect(useStatusStore().config?.lxmf_preferred_propagation_node_auto_sync_interval_seconds).toBe(3600)
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
  })

  it('lists a stored interval that is not one of the choices', async () => {
    stubFetch({})
    const { wrapper } = mountWith(AutoSyncSetting as never)
    useStatusStore().applyConfig({ ...config, lxmf_preferred_propagation_node_auto_sync_interval_seconds: 120 })
    await flushPromises()
    expect((wrapper.get('select').element as HTMLSelectElement).selectedOptions[0]?.text).toBe('Every 2 minutes')
  })
})
