import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { LxmfMessage } from '../lib/api'
import { deliveryOf, PAGE, peerOf, upsert, useMessagesStore } from './messages'

vi.mock('../lib/notify', () => ({ notifyIncoming: vi.fn() }))
import { notifyIncoming } from '../lib/notify'

const PEER = 'a'.repeat(32)
const ME = 'b'.repeat(32)
const OTHER = 'c'.repeat(32)

function msg(id: number, over: Partial<LxmfMessage> = {}): LxmfMessage {
  return {
    id,
    hash: id.toString(16).padStart(64, '0'),
    source_hash: ME,
    destination_hash: PEER,
    is_incoming: false,
    state: 'outbound',
    progress: 0,
    method: 'direct',
    title: '',
    content: `message ${id}`,
    fields: {},
    timestamp: 1_700_000_000 + id,
    ...over,
  }
}

/** A fake API: the conversation history (ids 1..n) and a record of requests. */
function fakeApi(n: number) {
  const calls: { method: string; url: string; body: unknown }[] = []
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    const method = init?.method ?? 'GET'
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : null })
    const json = (v: unknown) => new Response(JSON.stringify(v))
    if (url === '/api/v1/auth/csrf') return json({ csrf_token: 't' })
    if (url.startsWith('/api/v1/lxmf/conversations?') || url === '/api/v1/lxmf/conversations') {
      return json({ conversations: [{ destination_hash: PEER, display_name: 'Peer', unread_count: 2 }] })
    }
    if (url.startsWith(`/api/v1/lxmf-messages/conversation/${PEER}`)) {
      const q = new URL(url, 'http://x').searchParams
      const before = Number(q.get('before_id') ?? n + 1)
      const limit = Number(q.get('limit'))
      const ids = []
      for (let id = before - 1; id >= 1 && ids.length < limit; id--) ids.push(id)
      return json({ lxmf_messages: ids.map((id) => msg(id)) })
    }
    if (url === '/api/v1/lxmf-messages/send') {
      return json({ lxmf_message: msg(n + 1, { content: 'new' }) })
    }
    return json({ message: 'ok' })
  })
  vi.stubGlobal('fetch', fetchImpl)
  return calls
}

describe('message helpers', () => {
  it('names the peer and the delivery state', () => {
    expect(peerOf(msg(1))).toBe(PEER)
    expect(peerOf(msg(1, { is_incoming: true, source_hash: PEER, destination_hash: ME }))).toBe(PEER)
    const states: [string, string][] = [
      ['generating', 'sending'],
      ['outbound', 'sending'],
      ['sending', 'sending'],
      ['sent', 'sent'],
      ['delivered', 'delivered'],
      ['failed', 'failed'],
      ['rejected', 'failed'],
      ['cancelled', 'cancelled'],
    ]
    for (const [state, shown] of states) expect(deliveryOf(msg(1, { state }))).toBe(shown)
    expect(deliveryOf(msg(1, { is_incoming: true }))).toBe('received')
  })

  it('upserts by hash and keeps ids in order', () => {
    let list = [msg(1), msg(3)]
    list = upsert(list, msg(2))
    expect(list.map((m) => m.id)).toEqual([1, 2, 3])
    list = upsert(list, msg(4))
    expect(list.map((m) => m.id)).toEqual([1, 2, 3, 4])
    const before = list
    list = upsert(list, msg(2, { state: 'delivered', progress: 100 }))
    expect(list).not.toBe(before)
    expect(list[1]!.state).toBe('delivered')
    expect(list).toHaveLength(4)
    expect(upsert([msg(5)], msg(1)).map((m) => m.id)).toEqual([1, 5])
    // The push of the delivery came before the send's answer: kept.
    const delivered = [msg(7, { state: 'delivered', updated_at: '2026-01-01T00:00:02.000+00:00' })]
    const stale = msg(7, { state: 'outbound', updated_at: '2026-01-01T00:00:01.500+00:00' })
    expect(upsert(delivered, stale)).toBe(delivered)
    expect(upsert(delivered, { ...stale, updated_at: '2026-01-01T00:00:02.000+00:00' })).toBe(delivered)
    const later = msg(7, { state: 'outbound', updated_at: '2026-01-01T00:00:03.000+00:00' })
    expect(upsert(delivered, later)[0]!.state).toBe('outbound')
  })
})

describe('messages store', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.mocked(notifyIncoming).mockClear()
  })

  it('opens a conversation oldest first, pages back to the start and marks it read', async () => {
    const calls = fakeApi(PAGE + 50)
    const s = useMessagesStore()
    await s.loadConversations()
    expect(s.unreadTotal).toBe(2)
    await s.open(PEER)
    expect(s.messages).toHaveLength(PAGE)
    expect(s.messages[0]!.id).toBe(51)
    expect(s.messages.at(-1)!.id).toBe(PAGE + 50)
    expect(s.reachedStart).toBe(false)
    await vi.waitFor(() => expect(calls.some((c) => c.url.endsWith(`${PEER}/mark-as-read`))).toBe(true))
    expect(await s.loadOlder()).toBe(50)
    expect(s.messages.map((m) => m.id)).toEqual(Array.from({ length: PAGE + 50 }, (_, i) => i + 1))
    expect(s.reachedStart).toBe(true)
    expect(await s.loadOlder()).toBe(0)
  })

  it('sends with the chosen method (none for automatic)', async () => {
    const calls = fakeApi(3)
    const s = useMessagesStore()
    await s.open(PEER)
    await s.send(PEER, 'hi', 'auto')
    await s.send(PEER, 'hi', 'propagated')
    const sends = calls.filter((c) => c.url === '/api/v1/lxmf-messages/send').map((c) => c.body as Record<string, unknown>)
    expect(sends[0]).toEqual({ lxmf_message: { destination_hash: PEER, content: 'hi', title: '' } })
    expect(sends[1]!.delivery_method).toBe('propagated')
    expect(s.messages.at(-1)!.content).toBe('new')
  })

  it('follows pushes: new messages, state and progress, and notifies for other conversations', async () => {
    fakeApi(2)
    const s = useMessagesStore()
    await s.open(PEER)
    s.onEvent({ type: 'lxmf_message_created', lxmf_message: msg(3) })
    expect(s.messages.map((m) => m.id)).toEqual([1, 2, 3])
    s.onEvent({ type: 'lxmf_message_state_updated', lxmf_message: msg(3, { state: 'sending', progress: 40 }) })
    expect(s.messages.at(-1)!.progress).toBe(40)
    s.onEvent({ type: 'lxmf_message_state_updated', lxmf_message: msg(3, { state: 'delivered', progress: 100 }) })
    expect(deliveryOf(s.messages.at(-1)!)).toBe('delivered')
    // From the open conversation: shown, no notification.
    const reply = msg(4, { is_incoming: true, source_hash: PEER, destination_hash: ME, content: 'reply' })
    s.onEvent({ type: 'lxmf.delivery', lxmf_message: reply })
    expect(s.messages.at(-1)!.content).toBe('reply')
    expect(notifyIncoming).not.toHaveBeenCalled()
    // From someone else: not in this chat, notified.
    const other = msg(5, { is_incoming: true, source_hash: OTHER, destination_hash: ME, content: 'psst' })
    s.onEvent({ type: 'lxmf.delivery', lxmf_message: other })
    expect(s.messages).toHaveLength(4)
    expect(notifyIncoming).toHaveBeenCalledWith(OTHER.slice(0, 8), 'psst', OTHER)
    // Garbage is ignored.
    s.onEvent({ type: 'lxmf.delivery', lxmf_message: null })
    s.onEvent({ type: 'lxmf.delivery' })
    expect(s.messages).toHaveLength(4)
  })

  it('forgets the open conversation when the identity switches', async () => {
    fakeApi(2)
    const s = useMessagesStore()
    await s.open(PEER)
    s.onEvent({ type: 'identity_switched', identity_hash: OTHER })
    await vi.waitFor(() => expect(s.current).toBeNull())
    expect(s.messages).toHaveLength(0)
  })
})
