import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useIncomingStore } from './incoming'

const push = (id: string, state: string, progress = 0) => ({ type: 'lxmf_incoming_transfer', transfer: { id, progress, state } })

describe('incoming transfers', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('follows each transfer until it completes or fails', () => {
    const s = useIncomingStore()
    s.handle(push('a', 'receiving', 0.1))
    s.handle(push('b', 'receiving', 0.5))
    s.handle(push('a', 'receiving', 0.4))
    s.handle({ type: 'announce' })
    expect(s.transfers).toEqual([
      { id: 'a', progress: 0.4 },
      { id: 'b', progress: 0.5 },
    ])
    s.handle(push('a', 'complete', 1))
    s.handle(push('b', 'failed'))
    expect(s.transfers).toEqual([])
  })

  it('ignores malformed pushes and forgets everything after a reconnect', () => {
    const s = useIncomingStore()
    s.handle({ type: 'lxmf_incoming_transfer', transfer: { id: 5, state: 'receiving', progress: 0.2 } })
    s.handle({ type: 'lxmf_incoming_transfer' })
    expect(s.transfers).toEqual([])
    s.handle(push('c', 'receiving', 7))
    expect(s.transfers).toEqual([{ id: 'c', progress: 1 }])
    s.clear()
    expect(s.transfers).toEqual([])
  })
})
