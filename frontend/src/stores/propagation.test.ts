import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { usePropagationStore } from './propagation'

const NODE = 'c'.repeat(32)

describe('propagation store', () => {
  const calls: { url: string; method: string; body?: unknown }[] = []
  let sync = { state: 'idle', progress: 0, messages_received: null as number | null, failure: null as string | null }
  let preferred: string | null = null
  beforeEach(() => {
    setActivePinia(createPinia())
    calls.length = 0
    sync = { state: 'idle', progress: 0, messages_received: null, failure: null }
    preferred = null
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input)
        const body = init?.body ? JSON.parse(String(init.body)) : undefined
        calls.push({ url, method: init?.method ?? 'GET', body })
        if (url === '/api/v1/auth/csrf') return new Response('{"csrf_token":"t"}')
        if (url === '/api/v1/config') preferred = body.lxmf_preferred_propagation_node_destination_hash || null
        if (url.endsWith('/propagation-node/sync')) sync = { ...sync, state: 'path_requested' }
        if (url.endsWith('/propagation-node/status'))
          return new Response(JSON.stringify({ propagation_node_status: sync, lxmf_preferred_propagation_node_destination_hash: preferred }))
        if (url.endsWith('/propagation-nodes'))
          return new Response(
            JSON.stringify({
              lxmf_propagation_nodes: [
                { destination_hash: NODE, operator_display_name: 'Node', is_propagation_enabled: true, per_transfer_limit: 256, is_preferred: preferred === NODE, hops: 1, updated_at: 1 },
              ],
            }),
          )
        return new Response('{"message":"ok"}')
      }),
    )
  })
  afterEach(() => vi.unstubAllGlobals())

  it('chooses the preferred node through the config, and clears it', async () => {
    const s = usePropagationStore()
    await s.select(NODE)
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({
      url: '/api/v1/config',
      body: { lxmf_preferred_propagation_node_destination_hash: NODE },
    })
    expect(s.preferred).toBe(NODE)
    expect(s.nodes[0]!.is_preferred).toBe(true)
    await s.select(null)
    expect(s.preferred).toBeNull()
  })

  it('follows a sync through its states to the outcome', async () => {
    const s = usePropagationStore()
    await s.tick(0)
    expect(s.syncing).toBe(false)
    await s.startSync()
    expect(s.syncing).toBe(true)
    sync = { state: 'receiving', progress: 0.5, messages_received: 0, failure: null }
    const before = calls.length
    await s.tick(1000)
    // While syncing only the status is asked for, every tick.
    expect(calls.slice(before).map((c) => c.url)).toEqual(['/api/v1/lxmf/propagation-node/status'])
    expect(s.sync!.progress).toBe(0.5)
    sync = { state: 'complete', progress: 1, messages_received: 3, failure: null }
    await s.tick(2000)
    expect(s.syncing).toBe(false)
    expect(s.sync!.messages_received).toBe(3)
    // Idle again: nothing asked until the next full refresh is due.
    const idle = calls.length
    await s.tick(3000)
    expect(calls.length).toBe(idle)
    await s.tick(10_000)
    expect(calls.length).toBeGreaterThan(idle)
  })
})
