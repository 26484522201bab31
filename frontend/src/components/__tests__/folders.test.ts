import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import { flushPromises } from '@vue/test-utils'
import ConversationList from '../messages/ConversationList.vue'
import { useMessagesStore } from '../../stores/messages'
import { mountWith, mutations, stubFetch } from '../../test-utils'

const ALICE = 'a'.repeat(32)
const BOB = 'b'.repeat(32)
const conv = (hash: string, name: string, over = {}) => ({
  destination_hash: hash,
  display_name: name,
  custom_display_name: null,
  unread_count: 0,
  is_pinned: false,
  folder_id: null,
  latest_message_preview: `hi from ${name}`,
  ...over,
})

afterEach(() => vi.unstubAllGlobals())

async function mountList() {
  const calls = stubFetch({
    '/api/v1/lxmf/folders': [{ id: 1, name: 'Work' }],
    '/api/v1/lxmf/conversations': {
      conversations: [conv(ALICE, 'Alice', { unread_count: 2 }), conv(BOB, 'Bob', { is_pinned: true, folder_id: 1 })],
    },
  })
  const { wrapper } = mountWith(ConversationList, { props: { active: null }, attachTo: document.body })
  await useMessagesStore().loadConversations()
  await flushPromises()
  return { wrapper, calls }
}

const byLabel = (w: Awaited<ReturnType<typeof mountList>>['wrapper'], label: string) => w.get(`[aria-label="${label}"]`)
/** A button of the selection's toolbar, by its text. */
const byText = (w: Awaited<ReturnType<typeof mountList>>['wrapper'], text: string) => {
  const b = w.get('[role="toolbar"]').findAll('button').find((x) => x.text() === text)
  if (!b) throw new Error(`no button ${text}`)
  return b
}

describe('ConversationList: pins and folders', () => {
  it('lists pinned conversations first, with their folder, and toggles a pin', async () => {
    const { wrapper, calls } = await mountList()
    const rows = wrapper.get('ul[aria-label="Conversations"]').findAll('li')
    expect(rows.map((r) => r.get('a .font-medium').text())).toEqual(['Bob', 'Alice'])
    expect(rows[0]!.text()).toContain('In Work')
    expect(rows[1]!.text()).not.toContain('In Work')
    expect(byLabel(wrapper, 'Pin Bob').attributes('aria-pressed')).toBe('true')
    expect(byLabel(wrapper, 'Pin Alice').attributes('aria-pressed')).toBe('false')
    const before = calls.length
    await byLabel(wrapper, 'Pin Alice').trigger('click')
    await flushPromises()
    expect(mutations(calls)).toEqual([
      { method: 'POST', url: '/api/v1/lxmf/conversation-pins/toggle', body: { destination_hash: ALICE } },
    ])
    // The list is reloaded from the server afterwards.
    expect(calls.slice(before).some((c) => c.url.startsWith('/api/v1/lxmf/conversations'))).toBe(true)
    wrapper.unmount()
  })

  it('filters by folder', async () => {
    const { wrapper, calls } = await mountList()
    const filter = wrapper.get('#conv-folder')
    expect(wrapper.get('label[for="conv-folder"]').text()).toBe('Folder')
    expect(filter.findAll('option').map((o) => o.text())).toEqual(['All conversations', 'Work'])
    await filter.setValue('1')
    await flushPromises()
    expect(calls.map((c) => c.url)).toContain('/api/v1/lxmf/conversations?folder_id=1')
    wrapper.unmount()
  })

  it('creates, renames and (asking twice) deletes folders', async () => {
    const { wrapper, calls } = await mountList()
    await wrapper.get('#folder-new').setValue('Family')
    await wrapper.get('#folder-new').element.closest('form')!.requestSubmit()
    await flushPromises()
    await byLabel(wrapper, 'Rename folder Work').trigger('click')
    await nextTick()
    expect(document.activeElement).toBe(wrapper.get('#folder-edit-1').element)
    await wrapper.get('#folder-edit-1').setValue('Job')
    await wrapper.get('#folder-edit-1').element.closest('form')!.requestSubmit()
    await flushPromises()
    await byLabel(wrapper, 'Delete folder Work').trigger('click')
    expect(mutations(calls).map((m) => m.method)).toEqual(['POST', 'PATCH'])
    await byLabel(wrapper, 'Really delete folder Work').trigger('click')
    await flushPromises()
    expect(mutations(calls)).toEqual([
      { method: 'POST', url: '/api/v1/lxmf/folders', body: { name: 'Family' } },
      { method: 'PATCH', url: '/api/v1/lxmf/folders/1', body: { name: 'Job' } },
      { method: 'DELETE', url: '/api/v1/lxmf/folders/1', body: {} },
    ])
    wrapper.unmount()
  })

  it('acts on a selection: move to a folder, mark read, delete (asking twice)', async () => {
    const { wrapper, calls } = await mountList()
    expect(wrapper.find('[role="toolbar"]').exists()).toBe(false)
    await byLabel(wrapper, 'Select Alice').setValue(true)
    const bar = wrapper.get('[role="toolbar"]')
    expect(bar.attributes('aria-label')).toBe('Selected conversations')
    expect(bar.text()).toContain('1 selected')
    await wrapper.get('#conv-move').setValue('1')
    await wrapper.get('#conv-move').element.closest('form')!.requestSubmit()
    await flushPromises()
    expect(mutations(calls).at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/lxmf/conversations/move-to-folder',
      body: { peer_hashes: [ALICE], folder_id: 1 },
    })
    // A done action clears the selection; select both for the next ones.
    expect(wrapper.find('[role="toolbar"]').exists()).toBe(false)
    await wrapper.findAll('label').find((l) => l.text() === 'Select all')!.get('input').setValue(true)
    expect(wrapper.get('[role="toolbar"]').text()).toContain('2 selected')
    await byText(wrapper, 'Mark as read').trigger('click')
    await flushPromises()
    expect(mutations(calls).at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/lxmf/conversations/bulk-mark-as-read',
      body: { destination_hashes: [BOB, ALICE] },
    })
    await byLabel(wrapper, 'Select Bob').setValue(true)
    const n = mutations(calls).length
    await byText(wrapper, 'Delete').trigger('click')
    expect(mutations(calls).length).toBe(n)
    await byText(wrapper, 'Really delete 1').trigger('click')
    await flushPromises()
    expect(mutations(calls).at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/lxmf/conversations/bulk-delete',
      body: { destination_hashes: [BOB] },
    })
    wrapper.unmount()
  })
})
