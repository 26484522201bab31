import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useStatusStore } from './status'
import type { SocketLike } from '../lib/socket'

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = []
  readyState = 0
  onopen: ((ev: unknown) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  constructor() {
    FakeSocket.all.push(this)
  }
  send() {}
  close() {
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  drop() {
    this.readyState = 3
    this.onclose?.({})
  }
  push(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) })
  }
}

const CONFIG = {
  display_name: null,
  identity_hash: 'a'.repeat(32),
  lxmf_address_hash: 'b'.repeat(32),
}

/** A fake server: the stage it reports, whether it answers at all. */
function fakeServer() {
  const server = { stage: 'starting', up: true, error: undefined as string | undefined, calls: [] as string[] }
  const fetchImpl = (async (input: RequestInfo | URL) => {
    const path = String(input)
    server.calls.push(path)
    if (!server.up) throw new TypeError('Failed to fetch')
    if (path === '/api/v1/status') {
      return new Response(JSON.stringify({ status: 'x', stage: server.stage, version: '0.1.0', error: server.error }))
    }
    if (path === '/api/v1/config') {
      if (server.stage !== 'ready') return new Response('{"error":"starting","code":"starting"}', { status: 503 })
      return new Response(JSON.stringify({ config: CONFIG }))
    }
    return new Response('{}', { status: 404 })
  }) as typeof fetch
  return { server, fetchImpl }
}

describe('status store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    FakeSocket.all = []
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('moves through the start-up stages and records a failure reason', () => {
    const s = useStatusStore()
    expect(s.stage).toBe('unknown')
    for (const stage of ['starting', 'rns', 'identity']) {
      s.applyStatus({ stage })
      expect(s.stage).toBe(stage)
      expect(s.ready).toBe(false)
    }
    s.applyStatus({ stage: 'failed', error: 'bad config' })
    expect(s.stage).toBe('failed')
    expect(s.error).toBe('bad config')
    s.applyStatus({ stage: 'something new' })
    expect(s.stage).toBe('unknown')
    expect(s.error).toBeNull()
  })

  it('polls until ready, then loads the config', async () => {
    const { server, fetchImpl } = fakeServer()
    const s = useStatusStore()
    await s.start({ fetch: fetchImpl, createSocket: () => new FakeSocket(), socketUrl: 'ws://x/ws' })
    expect(s.stage).toBe('starting')
    expect(s.httpOk).toBe(true)
    server.stage = 'rns'
    await vi.advanceTimersByTimeAsync(2000)
    expect(s.stage).toBe('rns')
    expect(s.config).toBeNull()
    server.stage = 'ready'
    await vi.advanceTimersByTimeAsync(2000)
    expect(s.ready).toBe(true)
    expect(s.version).toBe('0.1.0')
    await vi.waitFor(() => expect(s.config?.identity_hash).toBe(CONFIG.identity_hash))
    s.stop()
  })

  it('follows startup_status and config pushed over the socket', async () => {
    const { fetchImpl } = fakeServer()
    const s = useStatusStore()
    await s.start({ fetch: fetchImpl, createSocket: () => new FakeSocket(), socketUrl: 'ws://x/ws' })
    const sock = FakeSocket.all[0]!
    sock.open()
    sock.push({ type: 'startup_status', stage: 'identity' })
    expect(s.stage).toBe('identity')
    sock.push({ type: 'config', config: { ...CONFIG, identity_hash: 'c'.repeat(32) } })
    expect(s.config?.identity_hash).toBe('c'.repeat(32))
    sock.push({ type: 'config', config: { nonsense: true } })
    expect(s.config?.identity_hash).toBe('c'.repeat(32))
    s.stop()
  })

  it('is connecting, then online, offline when the server goes away, online when it is back', async () => {
    const { server, fetchImpl } = fakeServer()
    const s = useStatusStore()
    expect(s.connection).toBe('connecting')
    await s.start({ fetch: fetchImpl, createSocket: () => new FakeSocket(), socketUrl: 'ws://x/ws' })
    expect(s.connection).toBe('online')
    FakeSocket.all[0]!.open()
    expect(s.connection).toBe('online')

    server.up = false
    FakeSocket.all[0]!.drop()
    expect(s.connection).toBe('offline')
    await vi.advanceTimersByTimeAsync(0)
    expect(s.httpOk).toBe(false)

    // Reconnect attempts fail while it is down.
    await vi.advanceTimersByTimeAsync(500)
    expect(FakeSocket.all).toHaveLength(2)
    FakeSocket.all[1]!.drop()
    expect(s.connection).toBe('offline')

    server.up = true
    await vi.advanceTimersByTimeAsync(1000)
    expect(FakeSocket.all).toHaveLength(3)
    FakeSocket.all[2]!.open()
    await vi.advanceTimersByTimeAsync(2000)
    expect(s.httpOk).toBe(true)
    expect(s.connection).toBe('online')
    s.stop()
  })

  it('is offline when the status poll fails even without a socket', async () => {
    const { server, fetchImpl } = fakeServer()
    server.up = false
    const s = useStatusStore()
    await s.start({ fetch: fetchImpl, createSocket: () => new FakeSocket(), socketUrl: 'ws://x/ws' })
    expect(s.connection).toBe('offline')
    s.stop()
  })
})
