import { describe, expect, it } from 'vitest'
import type { LxmfMessage } from './api'
import { groupReactions, reactionOf, timelineOf, whoReacted } from './reactions'

const ME = 'aa'.repeat(16)
const BOB = 'bb'.repeat(16)

function msg(id: number, over: Partial<LxmfMessage> = {}): LxmfMessage {
  return {
    id,
    hash: String(id).padStart(64, '0'),
    source_hash: BOB,
    destination_hash: ME,
    is_incoming: true,
    state: 'generating',
    progress: 0,
    method: 'direct',
    title: '',
    content: `m${id}`,
    fields: {},
    timestamp: id,
    is_reaction: false,
    ...over,
  }
}

function reaction(id: number, to: number, emoji: string, mine = false): LxmfMessage {
  const target = String(to).padStart(64, '0')
  return msg(id, {
    content: '',
    is_incoming: !mine,
    source_hash: mine ? ME : BOB,
    destination_hash: mine ? BOB : ME,
    is_reaction: true,
    reaction_to: target,
    reaction_emoji: emoji,
    reaction_sender: mine ? ME : BOB,
    fields: { reaction: { reaction_to: target, reaction_content: emoji } },
  })
}

describe('reactions', () => {
  it('hides reaction rows from the timeline', () => {
    const list = [msg(1), reaction(2, 1, '👍'), msg(3)]
    expect(timelineOf(list).map((m) => m.id)).toEqual([1, 3])
  })

  it('groups reactions by target and emoji, counting each and marking ours', () => {
    const list = [msg(1), msg(2), reaction(3, 1, '👍'), reaction(4, 1, '🔥', true), reaction(5, 1, '👍', true), reaction(6, 2, '😂')]
    const groups = groupReactions(list)
    expect(groups.get(msg(1).hash)).toEqual([
      { emoji: '👍', count: 2, senders: [{ hash: BOB, mine: false }, { hash: ME, mine: true }], mine: true },
      { emoji: '🔥', count: 1, senders: [{ hash: ME, mine: true }], mine: true },
    ])
    expect(groups.get(msg(2).hash)?.map((g) => [g.emoji, g.count, g.mine])).toEqual([['😂', 1, false]])
    expect(groups.has(msg(6).hash)).toBe(false)
  })

  it('counts the same sender twice but names them once', () => {
    const groups = groupReactions([reaction(2, 1, '👍'), reaction(3, 1, '👍')])
    const g = groups.get(msg(1).hash)![0]!
    expect(g.count).toBe(2)
    expect(whoReacted(g, 'You', 'Bob')).toBe('Bob')
    const both = groupReactions([reaction(2, 1, '👍'), reaction(3, 1, '👍', true)]).get(msg(1).hash)![0]!
    expect(whoReacted(both, 'You', 'Bob')).toBe('Bob, You')
  })

  it('reads a row without the top-level keys from its fields, and ignores broken ones', () => {
    const fromFields = { ...reaction(2, 1, '❤️'), reaction_to: undefined, reaction_emoji: undefined }
    expect(reactionOf(fromFields)).toEqual({ to: msg(1).hash, emoji: '❤️' })
    expect(reactionOf(msg(1))).toBeNull()
    expect(reactionOf({ ...reaction(2, 1, ''), fields: {} })).toBeNull()
    expect(groupReactions([{ ...reaction(2, 1, ''), fields: {} }]).size).toBe(0)
  })
})
