import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { flushPromises } from '@vue/test-utils'
import VirtualList from '../VirtualList.vue'
import MessageItem from '../messages/MessageItem.vue'
import ChatView from '../messages/ChatView.vue'
import AnnouncesPage from '../../pages/AnnouncesPage.vue'
import IdentitiesPage from '../../pages/IdentitiesPage.vue'
import MessagesPage from '../../pages/MessagesPage.vue'
import SettingsPage from '../../pages/SettingsPage.vue'
import type { LxmfMessage } from '../../lib/api'
import { useMessagesStore } from '../../stores/messages'
import { mountWith, stubFetch, unlabelled } from '../../test-utils'

vi.mock('vue-router', () => ({
  useRoute: () => ({ params: {}, fullPath: '/' }),
  useRouter: () => ({ push: vi.fn() }),
}))

const PEER = 'a'.repeat(32)
function msg(id: number, over: Partial<LxmfMessage> = {}): LxmfMessage {
  return {
    id,
    hash: id.toString(16).padStart(64, '0'),
    source_hash: 'b'.repeat(32),
    destination_hash: PEER,
    is_incoming: false,
    state: 'sending',
    progress: 40,
    method: 'direct',
    title: '',
    content: `message ${id}`,
    fields: {},
    timestamp: 1_700_000_000,
    ...over,
  }
}

afterEach(() => vi.unstubAllGlobals())

describe('VirtualList', () => {
  it('renders a bounded window of 10,000 rows and moves it on scroll', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: String(i) }))
    const Host = defineComponent({
      setup: () => () =>
        h(
          VirtualList as never,
          { items, itemKey: (x: { id: string }) => x.id, estimate: 50, stickToBottom: false, class: 'list' },
          { default: ({ item }: { item: { id: string } }) => h('p', { class: 'row' }, item.id) },
        ),
    })
    const { wrapper } = mountWith(Host)
    await nextTick()
    const rows = () => wrapper.findAll('.row').map((r) => r.text())
    expect(rows().length).toBeGreaterThan(0)
    expect(rows().length).toBeLessThan(60)
    expect(rows()[0]).toBe('0')
    const root = wrapper.get('.list').element as HTMLElement
    root.scrollTop = 250_000
    await wrapper.get('.list').trigger('scroll')
    await nextTick()
    expect(rows().length).toBeLessThan(60)
    expect(Number(rows()[0])).toBeGreaterThan(4000)
  })
})

describe('MessageItem', () => {
  it('shows the delivery state and progress, with cancel while sending', async () => {
    const { wrapper } = mountWith(MessageItem, { props: { message: msg(1) } })
    expect(wrapper.text()).toContain('Sending')
    const bar = wrapper.get('progress')
    expect(bar.attributes('aria-label')).toBe('Transfer progress')
    expect(bar.attributes('value')).toBe('40')
    const cancel = wrapper.findAll('button').find((b) => b.text() === 'Cancel')!
    await cancel.trigger('click')
    expect(wrapper.emitted('cancel')?.[0]).toEqual([msg(1).hash])
    const reply = wrapper.findAll('button').find((b) => b.text() === 'Reply')!
    await reply.trigger('click')
    expect(wrapper.emitted('reply')?.[0]?.[0]).toMatchObject({ hash: msg(1).hash })
  })

  it('offers retry for a failed message and hides the bar of a delivered short one', async () => {
    const failed = mountWith(MessageItem, { props: { message: msg(2, { state: 'failed' }) } }).wrapper
    expect(failed.text()).toContain('Failed')
    const retry = failed.findAll('button').find((b) => b.text() === 'Retry')!
    await retry.trigger('click')
    expect(failed.emitted('retry')).toHaveLength(1)
    const done = mountWith(MessageItem, { props: { message: msg(3, { state: 'delivered', progress: 100 }) } }).wrapper
    expect(done.text()).toContain('Delivered')
    expect(done.find('progress').exists()).toBe(false)
    const big = mountWith(MessageItem, {
      props: { message: msg(4, { state: 'delivered', progress: 100, content: 'x'.repeat(5000) }) },
    }).wrapper
    expect(big.get('progress').attributes('value')).toBe('100')
  })

  it('shows an image inline and files to download, and the message replied to', () => {
    const m = msg(5, {
      is_incoming: true,
      reply_to_hash: msg(1).hash,
      fields: {
        image: { image_type: 'png', image_size: 8, image_bytes: null },
        file_attachments: [{ file_name: 'notes.txt', file_size: 5, file_bytes: null }],
      },
    })
    const { wrapper } = mountWith(MessageItem, { props: { message: m, replyTo: msg(1) } })
    expect(wrapper.get('img').attributes('src')).toBe(`/api/v1/lxmf-messages/attachment/${m.hash}/image`)
    expect(wrapper.get('img').attributes('alt')).toBe('Image attachment')
    const link = wrapper.get('a[download]')
    expect(link.text()).toContain('Download notes.txt (5 B)')
    expect(link.attributes('href')).toBe(`/api/v1/lxmf-messages/attachment/${m.hash}/file?file_index=0`)
    expect(link.attributes('download')).toBe('notes.txt')
    expect(wrapper.text()).toContain('In reply to: message 1')
    expect(wrapper.text()).not.toContain('Sending')
  })
})

describe('ChatView', () => {
  it('sends with the chosen method and shows a refusal', async () => {
    const calls = stubFetch({
      '/api/v1/lxmf-messages/conversation/': { lxmf_messages: [] },
      '/api/v1/lxmf-messages/send': { lxmf_message: msg(9, { content: 'hello' }) },
    })
    const { wrapper } = mountWith(ChatView, { props: { peer: PEER, name: 'Peer' } })
    await useMessagesStore().open(PEER)
    await wrapper.get('#send-method').setValue('opportunistic')
    await wrapper.get('#composer').setValue('hello')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const send = calls.find((c) => c.url === '/api/v1/lxmf-messages/send')!
    expect(JSON.parse(String(send.init!.body))).toEqual({
      delivery_method: 'opportunistic',
      lxmf_message: { destination_hash: PEER, content: 'hello', title: '' },
    })
    expect((wrapper.get('#composer').element as HTMLTextAreaElement).value).toBe('')
    expect(useMessagesStore().messages.map((m) => m.content)).toEqual(['hello'])
  })

  it('attaches a file and replies to a message', async () => {
    const calls = stubFetch({
      '/api/v1/lxmf-messages/conversation/': { lxmf_messages: [msg(1, { content: 'question' })] },
      '/api/v1/lxmf-messages/send': { lxmf_message: msg(9, { content: 'answer' }) },
    })
    const { wrapper } = mountWith(ChatView, { props: { peer: PEER, name: 'Peer' } })
    await useMessagesStore().open(PEER)
    await flushPromises()
    const attach = wrapper.findAll('button').find((b) => b.text() === 'Attach files or an image')!
    expect(attach.exists()).toBe(true)
    const input = wrapper.get('#attach-input')
    Object.defineProperty(input.element, 'files', { value: [new File(['hi'], 'a.txt')] })
    await input.trigger('change')
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
    await flushPromises()
    expect(wrapper.text()).toContain('a.txt (2 B)')
    // The message's reply button asks the composer to quote it.
    const item = wrapper.findComponent(MessageItem)
    expect(item.exists()).toBe(true)
    item.vm.$emit('reply', msg(1, { content: 'question' }))
    await flushPromises()
    expect(wrapper.get('[data-testid="reply-quote"]').text()).toContain('question')
    await wrapper.get('#composer').setValue('answer')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const send = calls.find((c) => c.url === '/api/v1/lxmf-messages/send')!
    const body = JSON.parse(String(send.init!.body))
    expect(body.lxmf_message.fields).toEqual({ file_attachments: [{ file_name: 'a.txt', file_bytes: 'aGk=' }] })
    expect(body.lxmf_message.reply_to_hash).toBe(msg(1).hash)
    expect(wrapper.text()).not.toContain('a.txt (2 B)')
  })
})

// Every control has an accessible name: a <label for>, a wrapping <label>,
// aria-label, or its own text.
describe('every control has a label', () => {
  const announce = {
    id: 1,
    destination_hash: PEER,
    aspect: 'lxmf.delivery',
    identity_hash: 'd'.repeat(32),
    display_name: 'Peer',
    custom_display_name: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  }
  const routes = {
    '/api/v1/announces': { announces: [announce], total_count: 1 },
    '/api/v1/favourites': { favourites: [] },
    '/api/v1/blocked-destinations': { blocked_destinations: [] },
    '/api/v1/identities': {
      identities: [
        { hash: 'e'.repeat(32), display_name: 'Me', lxmf_address: PEER, is_current: true },
        { hash: 'f'.repeat(32), display_name: 'Other', lxmf_address: PEER, is_current: false },
      ],
    },
    '/api/v1/lxmf/folders': [{ id: 1, name: 'Work' }],
    '/api/v1/lxmf/conversations': {
      conversations: [{ destination_hash: PEER, display_name: 'Peer', unread_count: 1, is_pinned: true, folder_id: null }],
    },
    '/api/v1/auth/status': { auth_enabled: true, password_set: true, authenticated: true },
    '/api/v1/app/sessions': { sessions: [] },
  }
  for (const [name, page] of [
    ['AnnouncesPage', AnnouncesPage],
    ['IdentitiesPage', IdentitiesPage],
    ['MessagesPage', MessagesPage],
    ['SettingsPage', SettingsPage],
  ] as const) {
    it(name, async () => {
      stubFetch(routes)
      const { wrapper } = mountWith(page as never, { attachTo: document.body })
      await flushPromises()
      if (name === 'MessagesPage') {
        await useMessagesStore().loadConversations()
        await nextTick()
        expect(wrapper.text()).toContain('Peer')
        expect(wrapper.find('[aria-label="1 unread"]').exists()).toBe(true)
      }
      if (name === 'AnnouncesPage') {
        expect(wrapper.find('[aria-label="Message Peer"]').exists()).toBe(true)
        expect(wrapper.text()).toContain('People (LXMF)')
      }
      // No i18n key shown raw (a missing or dotted key).
      expect(wrapper.text()).not.toMatch(/\b(pages|network|chat|messages|identities|security|notify|settings|setup|qr|folders)\.[a-zA-Z]/)
      if (name === 'IdentitiesPage') expect(wrapper.find('[aria-label="Switch to Other"]').exists()).toBe(true)
      expect(unlabelled(wrapper.element as HTMLElement)).toEqual([])
      wrapper.unmount()
    })
  }
})
