// Conversations and the open chat: the conversation list (search, unread
// only), the open conversation's history (paged backwards, oldest first in
// memory), sending with a delivery method, cancel and retry, and the live
// pushes over /ws (new messages, state and progress updates). Incoming
// messages outside the open, visible conversation raise a notification.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { getJson, query, sendJson, type Conversation, type LxmfMessage } from '../lib/api'
import type { FileField, ImageField } from '../lib/attachments'
import { notifyIncoming } from '../lib/notify'
import { useStatusStore } from './status'

export const METHODS = ['auto', 'direct', 'opportunistic', 'propagated'] as const
export type SendMethod = (typeof METHODS)[number]

/** Messages fetched per history page. */
export const PAGE = 200

/** The other side of a message. */
export function peerOf(m: Pick<LxmfMessage, 'is_incoming' | 'source_hash' | 'destination_hash'>): string {
  return m.is_incoming ? m.source_hash : m.destination_hash
}

export type Delivery = 'sending' | 'sent' | 'delivered' | 'failed' | 'cancelled' | 'received'

/** The delivery state the UI shows for a message. */
export function deliveryOf(m: Pick<LxmfMessage, 'is_incoming' | 'state'>): Delivery {
  if (m.is_incoming) return 'received'
  switch (m.state) {
    case 'delivered':
      return 'delivered'
    case 'sent':
      return 'sent'
    case 'failed':
    case 'rejected':
      return 'failed'
    case 'cancelled':
      return 'cancelled'
    default:
      return 'sending'
  }
}

const FINAL = ['delivered', 'failed', 'cancelled', 'rejected']

/** Merges `m` into a list sorted by id (a new array when it changed). A
 * row older than the one we have (a send's answer overtaken by the push of
 * its delivery) changes nothing. */
export function upsert(list: readonly LxmfMessage[], m: LxmfMessage): LxmfMessage[] {
  for (let i = list.length - 1; i >= 0; i--) {
    const old = list[i]!
    if (old.hash === m.hash) {
      if (old.updated_at && m.updated_at) {
        const a = Date.parse(old.updated_at)
        const b = Date.parse(m.updated_at)
        // Within the same millisecond, a final state is the later one.
        if (b < a || (b === a && FINAL.includes(old.state) && !FINAL.includes(m.state))) {
          return list as LxmfMessage[]
        }
      }
      const next = list.slice()
      next[i] = { ...old, ...m }
      return next
    }
    if (old.id < m.id) {
      const next = list.slice()
      next.splice(i + 1, 0, m)
      return next
    }
  }
  return [m, ...list]
}

export function conversationName(c: Pick<Conversation, 'custom_display_name' | 'display_name'>): string {
  return c.custom_display_name || c.display_name
}

export const useMessagesStore = defineStore('messages', () => {
  const status = useStatusStore()
  const conversations = ref<Conversation[]>([])
  const search = ref('')
  const unreadOnly = ref(false)
  /** Only this folder's conversations; null for all. */
  const folderId = ref<number | null>(null)
  const listError = ref<string | null>(null)

  /** The open conversation's peer, and its messages (ascending ids). */
  const current = ref<string | null>(null)
  const messages = shallowRef<LxmfMessage[]>([])
  const reachedStart = ref(false)
  const loading = ref(false)
  let generation = 0

  /** Unread messages over all conversations (pinned first, then latest). */
  const unreadTotal = ref(0)
  const sorted = computed(() =>
    [...conversations.value].sort((a, b) => Number(b.is_pinned) - Number(a.is_pinned)),
  )

  async function loadConversations(): Promise<void> {
    try {
      const body = await getJson<{ conversations: Conversation[] }>(
        '/api/v1/lxmf/conversations' +
          query({
            search: search.value.trim(),
            filter_unread: unreadOnly.value ? 'true' : undefined,
            folder_id: folderId.value,
          }),
      )
      conversations.value = body.conversations
      listError.value = null
      if (!search.value.trim() && !unreadOnly.value && folderId.value === null) {
        unreadTotal.value = body.conversations.reduce((n, c) => n + (c.unread_count || 0), 0)
      } else {
        void loadUnreadTotal()
      }
    } catch (e) {
      listError.value = e instanceof Error ? e.message : String(e)
    }
  }

  async function loadUnreadTotal(): Promise<void> {
    const body = await getJson<{ conversations: Conversation[] }>('/api/v1/lxmf/conversations?filter_unread=true')
    unreadTotal.value = body.conversations.reduce((n, c) => n + (c.unread_count || 0), 0)
  }

  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  /** Reloads the list soon, once for a burst of pushes. */
  function refreshSoon(): void {
    if (refreshTimer !== null) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void loadConversations()
    }, 250)
  }

  async function fetchPage(peer: string, beforeId?: number): Promise<LxmfMessage[]> {
    const body = await getJson<{ lxmf_messages: LxmfMessage[] }>(
      `/api/v1/lxmf-messages/conversation/${peer}` + query({ limit: PAGE, before_id: beforeId }),
    )
    return body.lxmf_messages.slice().reverse()
  }

  /** Opens a conversation: its latest page, marked as read. */
  async function open(peer: string | null): Promise<void> {
    const gen = ++generation
    current.value = peer
    messages.value = []
    reachedStart.value = false
    if (!peer) return
    loading.value = true
    try {
      const page = await fetchPage(peer)
      if (gen !== generation) return
      // Pushes that came in while loading are kept.
      let list = page
      for (const m of messages.value) list = upsert(list, m)
      messages.value = list
      reachedStart.value = page.length < PAGE
    } finally {
      if (gen === generation) loading.value = false
    }
    void markRead(peer, true)
  }

  /** Prepends the page before the oldest loaded message. */
  async function loadOlder(): Promise<number> {
    const peer = current.value
    if (!peer || reachedStart.value || loading.value) return 0
    const gen = generation
    loading.value = true
    try {
      const oldest = messages.value[0]
      const page = await fetchPage(peer, oldest?.id)
      if (gen !== generation) return 0
      const known = new Set(messages.value.map((m) => m.hash))
      const fresh = page.filter((m) => !known.has(m.hash))
      messages.value = [...fresh, ...messages.value]
      if (page.length < PAGE) reachedStart.value = true
      return fresh.length
    } finally {
      if (gen === generation) loading.value = false
    }
  }

  /** Marks a conversation read; `ifUnread`: only when the list says it has unread ones. */
  async function markRead(peer: string, ifUnread = false): Promise<void> {
    const c = conversations.value.find((x) => x.destination_hash === peer)
    if (ifUnread && c && !c.unread_count) return
    try {
      await sendJson('POST', `/api/v1/lxmf/conversations/${peer}/mark-as-read`)
    } catch {
      return
    }
    refreshSoon()
  }

  function apply(m: LxmfMessage): void {
    if (peerOf(m) === current.value) messages.value = upsert(messages.value, m)
  }

  async function send(
    peer: string,
    content: string,
    method: SendMethod,
    extra: { files?: FileField[]; image?: ImageField | null; replyTo?: string | null } = {},
  ): Promise<LxmfMessage> {
    const lxmf: Record<string, unknown> = { destination_hash: peer, content, title: '' }
    const fields: Record<string, unknown> = {}
    if (extra.files?.length) fields.file_attachments = extra.files
    if (extra.image) fields.image = extra.image
    if (Object.keys(fields).length) lxmf.fields = fields
    if (extra.replyTo) lxmf.reply_to_hash = extra.replyTo
    const body: Record<string, unknown> = { lxmf_message: lxmf }
    if (method !== 'auto') body.delivery_method = method
    const res = await sendJson<{ lxmf_message: LxmfMessage }>('POST', '/api/v1/lxmf-messages/send', body)
    apply(res.lxmf_message)
    refreshSoon()
    return res.lxmf_message
  }

  /** Reacts to a message of the conversation with `peer`: the reaction is a
   * message of its own, shown under its target once it is in the list. */
  async function react(peer: string, targetHash: string, emoji: string): Promise<LxmfMessage> {
    const res = await sendJson<{ lxmf_message: LxmfMessage }>('POST', '/api/v1/lxmf-messages/reactions', {
      destination_hash: peer,
      target_message_hash: targetHash,
      emoji,
    })
    apply(res.lxmf_message)
    refreshSoon()
    return res.lxmf_message
  }

  async function cancel(hash: string): Promise<void> {
    await sendJson('POST', `/api/v1/lxmf-messages/${hash}/cancel`)
    const m = messages.value.find((x) => x.hash === hash)
    if (m && deliveryOf(m) === 'sending') apply({ ...m, state: 'cancelled' })
  }

  async function retry(hash: string): Promise<void> {
    const res = await sendJson<{ lxmf_message: LxmfMessage }>('POST', `/api/v1/lxmf-messages/${hash}/resend`)
    apply(res.lxmf_message)
  }

  async function remove(hash: string): Promise<void> {
    await sendJson('DELETE', `/api/v1/lxmf-messages/${hash}`)
    messages.value = messages.value.filter((m) => m.hash !== hash)
    refreshSoon()
  }

  /** Whether the user is looking at this conversation right now. */
  function watching(peer: string): boolean {
    return current.value === peer && globalThis.document?.visibilityState !== 'hidden'
  }

  function onEvent(msg: Record<string, unknown>): void {
    const type = msg.type
    if (type === 'identity_switched') {
      conversations.value = []
      unreadTotal.value = 0
      void open(null)
      refreshSoon()
      return
    }
    if (type !== 'lxmf_message_created' && type !== 'lxmf_message_state_updated' && type !== 'lxmf.delivery') {
      return
    }
    const m = msg.lxmf_message as LxmfMessage | undefined
    if (!m || typeof m.hash !== 'string') return
    apply(m)
    if (type === 'lxmf.delivery' && m.is_incoming) {
      const peer = peerOf(m)
      if (watching(peer)) {
        void markRead(peer)
      } else {
        const c = conversations.value.find((x) => x.destination_hash === peer)
        notifyIncoming(c ? conversationName(c) : peer.slice(0, 8), m.content || m.title || (m.reaction_emoji ?? ''), peer)
      }
    }
    if (type !== 'lxmf_message_state_updated' || ['delivered', 'failed'].includes(m.state)) refreshSoon()
  }

  let started = false
  /** Follows the socket and loads the list; once. */
  function start(): void {
    if (started) return
    started = true
    status.onEvent(onEvent)
    status.onReconnect(() => {
      void loadConversations()
      if (current.value) void open(current.value)
    })
    void loadConversations()
  }

  return {
    conversations,
    sorted,
    search,
    unreadOnly,
    folderId,
    listError,
    unreadTotal,
    current,
    messages,
    reachedStart,
    loading,
    loadConversations,
    open,
    loadOlder,
    markRead,
    send,
    react,
    cancel,
    retry,
    remove,
    onEvent,
    start,
  }
})
