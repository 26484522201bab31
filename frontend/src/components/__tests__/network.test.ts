import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import InterfaceForm from '../network/InterfaceForm.vue'
import InterfacesPage from '../../pages/InterfacesPage.vue'
import NetworkToolsPage from '../../pages/NetworkToolsPage.vue'
import PropagationNodesPage from '../../pages/PropagationNodesPage.vue'
import { emptyDraft } from '../../lib/network'
import { mountWith, stubFetch, unlabelled } from '../../test-utils'

const PEER = 'a'.repeat(32)

afterEach(() => vi.unstubAllGlobals())

describe('InterfaceForm', () => {
  it('shows why each field is wrong only after a try, and sends nothing then', async () => {
    const { wrapper } = mountWith(InterfaceForm, { props: { initial: emptyDraft(), editing: false, taken: ['Taken'] }, attachTo: document.body })
    expect(wrapper.text()).not.toContain('Give the interface a name.')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.text()).toContain('Give the interface a name.')
    expect(wrapper.text()).toContain('This field is required.')
    expect(wrapper.emitted('save')).toBeUndefined()
    const name = wrapper.get('input[aria-invalid="true"]')
    expect(document.activeElement).toBe(name.element)
    await name.setValue('Taken')
    expect(wrapper.text()).toContain('An interface of this name exists already.')
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
    await wrapper.get('form').trigger('keydown', { key: 'Escape' })
    expect(wrapper.emitted('cancel')).toHaveLength(1)
    wrapper.unmount()
  })

  it('shows the fields of the chosen type and emits the draft', async () => {
    const { wrapper } = mountWith(InterfaceForm, { props: { initial: emptyDraft(), editing: false, taken: [] } })
    const labels = () => wrapper.findAll('label').map((l) => l.text())
    expect(labels()).toContain('Host to connect to')
    await wrapper.get('select').setValue('UDPInterface')
    expect(labels()).toEqual(expect.arrayContaining(['Listen address', 'Listen port', 'Send to address', 'Send to port']))
    expect(labels()).not.toContain('Host to connect to')
    await wrapper.get('select').setValue('TCPServerInterface')
    const input = (label: string) => wrapper.get(`#${wrapper.findAll('label').find((l) => l.text() === label)!.attributes('for')}`)
    await input('Name').setValue('Server')
    await input('Listen address').setValue('127.0.0.1')
    await input('Listen port').setValue('4242')
    await wrapper.get('form').trigger('submit')
    expect(wrapper.emitted('save')![0]![0]).toMatchObject({
      name: 'Server',
      type: 'TCPServerInterface',
      enabled: true,
      values: { listen_ip: '127.0.0.1', listen_port: '4242' },
    })
  })
})

describe('network pages', () => {
  const routes = {
    '/api/v1/reticulum/interfaces': {
      interfaces: { 'To peer': { type: 'TCPClientInterface', interface_enabled: 'true', target_host: '127.0.0.1', target_port: '4242' } },
    },
    '/api/v1/interface-stats': {
      interface_stats: {
        interfaces: [{ name: 'TCPClientInterface[To peer]', short_name: 'To peer', type: 'TCPClientInterface', status: true, mode: 1, bitrate: 0, rxb: 1500, txb: 20 }],
        rxb: 1500,
        txb: 20,
        path_count: 1,
        link_count: 0,
      },
    },
    '/api/v1/rnstatus': {
      interfaces: [{ name: 'TCPClientInterface[To peer]', short_name: 'To peer', type: 'TCPClientInterface', status: 'Up', mode: 'Full', bitrate: '10.00 Mbps', rx_bytes_str: '1.50 KB', tx_bytes_str: '20 B' }],
      link_count: 0,
      totals: { rx_bytes_str: '1.50 KB', tx_bytes_str: '20 B' },
    },
    [`/api/v1/destination/${PEER}/path`]: { path: { hops: 2, next_hop: 'b'.repeat(32), next_hop_interface: 'TCPClientInterface[To peer]' }, path_stale: false },
    '/api/v1/lxmf/propagation-nodes': {
      lxmf_propagation_nodes: [{ destination_hash: PEER, operator_display_name: 'Node', is_propagation_enabled: true, per_transfer_limit: 256, is_preferred: true, hops: 1, updated_at: 1 }],
    },
    '/api/v1/lxmf/propagation-node/status': {
      propagation_node_status: { state: 'failed', progress: 0, messages_received: null, failure: 'NoPath' },
      lxmf_preferred_propagation_node_destination_hash: PEER,
    },
  }
  const noRawKeys = /\b(pages|interfaces|tools|propagation)\.[a-zA-Z]/

  it('Interfaces: lists the interface online with its traffic; delete asks first', async () => {
    const calls = stubFetch(routes)
    const { wrapper } = mountWith(InterfacesPage, { attachTo: document.body })
    await flushPromises()
    const item = wrapper.get('li[aria-label="To peer"]')
    expect(item.text()).toContain('Online')
    expect(item.text()).toContain('1.5 kB received')
    await wrapper.get('button[aria-label="Delete To peer"]').trigger('click')
    await flushPromises()
    expect(calls.some((c) => c.url.endsWith('/delete'))).toBe(false)
    const yes = wrapper.findAll('button').find((b) => b.text() === 'Yes, delete To peer')!
    expect(document.activeElement).toBe(yes.element)
    await yes.trigger('click')
    await flushPromises()
    const del = calls.find((c) => c.url.endsWith('/delete'))!
    expect(JSON.parse(String(del.init!.body))).toEqual({ name: 'To peer' })
    expect(wrapper.text()).not.toMatch(noRawKeys)
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
    wrapper.unmount()
  })

  it('Network tools: refuses a bad hash, shows a path lookup and the status table', async () => {
    stubFetch(routes)
    const { wrapper } = mountWith(NetworkToolsPage, { attachTo: document.body })
    await flushPromises()
    const lookup = wrapper.findAll('button').find((b) => b.text() === 'Look up path')!
    await wrapper.get('#tool-target').setValue('nope')
    await lookup.trigger('click')
    expect(wrapper.text()).toContain('A destination hash is 32 hexadecimal characters.')
    await wrapper.get('#tool-target').setValue(PEER)
    await lookup.trigger('click')
    await flushPromises()
    const result = wrapper.get('[aria-label="Result"]').text()
    expect(result).toContain('2 hops away')
    expect(result).toContain('Via interface: TCPClientInterface[To peer]')
    expect(wrapper.get('table').text()).toContain('TCPClientInterface[To peer]')
    expect(wrapper.get('table').text()).toContain('Up')
    expect(wrapper.text()).not.toMatch(noRawKeys)
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
    wrapper.unmount()
  })

  it('Propagation nodes: the preferred node and a failed sync with its reason', async () => {
    stubFetch(routes)
    const { wrapper } = mountWith(PropagationNodesPage, { attachTo: document.body })
    await flushPromises()
    expect(wrapper.text()).toContain('Preferred node: Node')
    expect(wrapper.get('li[aria-label="Node"]').text()).toContain('Preferred')
    expect(wrapper.get('[aria-label="Sync state"]').text()).toContain('Sync failed: NoPath')
    expect(wrapper.find('button[aria-label="Stop using Node"]').exists()).toBe(true)
    expect(wrapper.text()).not.toMatch(noRawKeys)
    expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
    wrapper.unmount()
  })
})
