import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useInterfacesStore } from './interfaces'

function stat(name: string, rxb: number, txb: number, status = true) {
  return { name: `TCPClientInterface[${name}]`, short_name: name, type: 'TCPClientInterface', status, mode: 1, bitrate: 0, rxb, txb }
}

describe('interfaces store', () => {
  let counters = { rxb: 0, txb: 0 }
  const calls: { url: string; body?: unknown }[] = []
  beforeEach(() => {
    setActivePinia(createPinia())
    calls.length = 0
    counters = { rxb: 1000, txb: 100 }
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input)
        calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : undefined })
        if (url === '/api/v1/auth/csrf') return new Response('{"csrf_token":"t"}')
        if (url === '/api/v1/reticulum/interfaces')
          return new Response(
            JSON.stringify({
              interfaces: {
                'To peer': { type: 'TCPClientInterface', enabled: 'yes', target_host: '127.0.0.1', target_port: '4242' },
                Off: { type: 'UDPInterface', interface_enabled: 'false' },
              },
            }),
          )
        if (url === '/api/v1/interface-stats')
          return new Response(JSON.stringify({ interface_stats: { interfaces: [stat('To peer', counters.rxb, counters.txb)], rxb: 0, txb: 0 } }))
        return new Response('{"message":"ok"}')
      }),
    )
  })
  afterEach(() => vi.unstubAllGlobals())

  it('joins the config and the live state by name, with rates from the second sample on', async () => {
    const s = useInterfacesStore()
    await s.refresh()
    expect(s.error).toBe('')
    expect(s.rows.map((r) => [r.name, r.enabled, r.stat?.status ?? null])).toEqual([
      ['To peer', true, true],
      ['Off', false, null],
    ])
    expect(s.rows[0]!.rate).toBeNull()
    counters = { rxb: 3000, txb: 100 }
    await s.loadStats(Date.now() + 2000)
    expect(s.rows[0]!.rate!.rx).toBeGreaterThan(900)
    expect(s.rows[0]!.rate!.tx).toBe(0)
  })

  it('enables, disables and deletes by name, then reloads', async () => {
    const s = useInterfacesStore()
    await s.setEnabled('Off', true)
    await s.setEnabled('To peer', false)
    await s.remove('To peer')
    const posts = calls.filter((c) => c.body !== undefined)
    expect(posts).toEqual([
      { url: '/api/v1/reticulum/interfaces/enable', body: { name: 'Off' } },
      { url: '/api/v1/reticulum/interfaces/disable', body: { name: 'To peer' } },
      { url: '/api/v1/reticulum/interfaces/delete', body: { name: 'To peer' } },
    ])
    expect(calls.at(-1)!.url).toMatch(/interfaces|interface-stats/)
  })

  it('keeps a failed load as an error to show', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":"MeshChatX is starting","code":"starting"}', { status: 503 })))
    const s = useInterfacesStore()
    await s.refresh()
    expect(s.error).toBe('MeshChatX is starting')
    expect(s.loaded).toBe(true)
  })
})
