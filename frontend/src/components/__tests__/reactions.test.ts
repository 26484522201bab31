import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flushPromises } from '@vue/test-utils'
import MessageItem from '../messages/MessageItem.vue'
import ChatView from '../messages/ChatView.vue'
import type { LxmfMessage } from '../../lib/api'
import { useMessagesStore } from '../../stores/messages'
import { mountWith, stubFetch } from '../../test-utils'

const PEER = 'a'.repeat(32)
const ME = 'b'.repeat(32)

function msg(id: number, over: Partial<LxmfMessage> = {}): LxmfMessage {
  return {
    id,
    hash: id.toString(16).padStart(64, '0'),
    source_hash: PEER,
    destination_hash: ME,
    is_incoming: true,
    state: 'generating',
    progress: 0,
    method: 'direct',
    title: '',
    content: `message ${id}`,
    fields: {},
    timestamp: 1700000000 + id,
    is_reaction: false,
    ...over,
  }
}

/** A reaction row as the API serves it. */
function reaction(id: number, to: number, emoji: string, mine = false): LxmfMessage {
  const target = msg(to).hash
  return msg(id, {
    content: '',
    is_incoming: !mine,
    source_hash: mine ? ME : PEER,
    destination_hash: mine ? PEER : ME,
    method: 'opportunistic',
    is_reaction: true,
    reaction_to: target,
    reaction_emoji: emoji,
    reaction_sender: mine ? ME : PEER,
    fields: { reaction: { reaction_to: target, reaction_content: emoji } },
  })
}

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('reaction menu', () => {
  it('opens from a labelled button, is driven by the keyboard, and reports the emoji picked', async () => {
    const { wrapper } = mountWith(MessageItem, { props: { message: msg(1) }, attachTo: document.body })
    const button = wrapper.get('button[aria-haspopup="menu"]')
    expect(button.attributes('aria-label')).toBe('React to “message 1”')
    expect(button.attributes('aria-expanded')).toBe('false')
    await button.trigger('click')
    await nextTick()
    expect(button.attributes('aria-expanded')).toBe('true')
    const menu = wrapper.get('[role="menu"]')
    expect(menu.attributes('aria-label')).toBe('Reactions')
    const items = wrapper.findAll('[role="menuitem"]')
    expect(items.map((i) => i.attributes('aria-label'))[0]).toBe('React with 👍')
    expect(document.activeElement).toBe(items[0]!.element)
    await menu.trigger('keydown', { key: 'ArrowRight' })
    expect(document.activeElement).toBe(items[1]!.element)
    await menu.trigger('keydown', { key: 'ArrowLeft' })
    await menu.trigger('keydown', { key: 'ArrowLeft' })
    expect(document.activeElement).toBe(items.at(-1)!.element)
    await menu.trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[role="menu"]').exists()).toBe(false)
    expect(document.activeElement).toBe(button.element)
    expect(wrapper.emitted('react')).toBeUndefined()

    await button.trigger('click')
    await nextTick()
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click')
    expect(wrapper.emitted('react')?.[0]).toEqual([msg(1).hash, '❤️'])
    expect(wrapper.find('[role="menu"]').exists()).toBe(false)
  })
})

describe('reactions in the chat', () => {
  it('shows reactions under their message with counts and who, sends ours, and adds one pushed over /ws', async () => {
    const calls = stubFetch({
      '/api/v1/lxmf-messages/conversation/': {
        lxmf_messages: [reaction(3, 1, '👍', true), reaction(2, 1, '👍'), msg(1)],
      },
      '/api/v1/lxmf-messages/reactions': { lxmf_message: reaction(4, 1, '🔥', true) },
    })
    const { wrapper } = mountWith(ChatView, { props: { peer: PEER, name: 'Bob' } })
    const store = useMessagesStore()
    await store.open(PEER)
    await flushPromises()
    // Reaction rows are not messages of the timeline.
    expect(wrapper.findAllComponents(MessageItem)).toHaveLength(1)
    const chips = () => wrapper.get('ul[aria-label="Reactions"]').findAll('li')
    expect(chips().map((c) => c.text())).toEqual(['👍 2'])
    expect(chips()[0]!.attributes('title')).toBe('👍 2: Bob, You')

    wrapper.findComponent(MessageItem).vm.$emit('react', msg(1).hash, '🔥')
    await flushPromises()
    const sent = calls.find((c) => c.url === '/api/v1/lxmf-messages/reactions')!
    expect(JSON.parse(String(sent.init!.body))).toEqual({
      destination_hash: PEER,
      target_message_hash: msg(1).hash,
      emoji: '🔥',
    })
    expect(chips().map((c) => c.text())).toEqual(['👍 2', '🔥 1'])

    store.onEvent({ type: 'lxmf.delivery', lxmf_message: reaction(5, 1, '🔥') })
    await nextTick()
    expect(chips().map((c) => c.text())).toEqual(['👍 2', '🔥 2'])
    expect(chips()[1]!.attributes('title')).toBe('🔥 2: You, Bob')
    expect(wrapper.findAllComponents(MessageItem)).toHaveLength(1)
  })

  it('says so when a reaction is refused', async () => {
    stubFetch({ '/api/v1/lxmf-messages/conversation/': { lxmf_messages: [msg(1)] } })
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        const url = String(input)
        if (url === '/api/v1/auth/csrf') return new Response('{"csrf_token":"t"}')
        if (url.startsWith('/api/v1/lxmf-messages/reactions')) {
          return new Response('{"error":"Message not found","code":"not_found","message":"Message not found"}', { status: 404 })
        }
        return new Response(JSON.stringify({ lxmf_messages: [msg(1)] }))
      }),
    )
    const { wrapper } = mountWith(ChatView, { props: { peer: PEER, name: 'Bob' } })
    await useMessagesStore().open(PEER)
    await flushPromises()
    wrapper.findComponent(MessageItem).vm.$emit('react', msg(1).hash, '👍')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('Reaction not sent')
    expect(wrapper.find('ul[aria-label="Reactions"]').exists()).toBe(false)
  })
})
