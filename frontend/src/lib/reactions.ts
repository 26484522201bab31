// Message reactions as the API serves them: each reaction is a message row
// of its own (`is_reaction`, `reaction_to`, `reaction_emoji`,
// `reaction_sender`), as the reference MeshChatX does. The chat hides those
// rows and shows them grouped under the message they react to.
import type { LxmfMessage } from './api'

/** The emoji offered in the reaction menu. */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '😮', '😢', '🔥'] as const

/** One emoji's reactions to a message. */
export interface ReactionGroup {
  emoji: string
  count: number
  /** Who reacted with it (first reaction first, once each); `mine` for us. */
  senders: { hash: string; mine: boolean }[]
  /** Whether one of them is ours. */
  mine: boolean
}

/** The target and emoji of a reaction row, from its top-level keys or, in a
 * row without them, its `fields.reaction`; `null` for any other message. */
export function reactionOf(m: LxmfMessage): { to: string; emoji: string } | null {
  if (!m.is_reaction) return null
  const field = m.fields?.reaction as { reaction_to?: unknown; reaction_content?: unknown } | undefined
  const to = m.reaction_to ?? field?.reaction_to
  const emoji = m.reaction_emoji ?? field?.reaction_content
  if (typeof to !== 'string' || typeof emoji !== 'string' || !emoji) return null
  return { to, emoji }
}

/** The messages the timeline shows: everything but reactions. */
export function timelineOf(messages: readonly LxmfMessage[]): LxmfMessage[] {
  return messages.filter((m) => !m.is_reaction)
}

/** Reactions grouped by the message they react to, each message's groups
 * in the order their emoji first appeared. */
export function groupReactions(messages: readonly LxmfMessage[]): Map<string, ReactionGroup[]> {
  const out = new Map<string, ReactionGroup[]>()
  for (const m of messages) {
    const r = reactionOf(m)
    if (!r) continue
    const groups = out.get(r.to) ?? []
    let g = groups.find((x) => x.emoji === r.emoji)
    if (!g) {
      g = { emoji: r.emoji, count: 0, senders: [], mine: false }
      groups.push(g)
    }
    g.count += 1
    const hash = m.reaction_sender ?? m.source_hash
    if (!g.senders.some((x) => x.hash === hash)) g.senders.push({ hash, mine: !m.is_incoming })
    if (!m.is_incoming) g.mine = true
    out.set(r.to, groups)
  }
  return out
}

/** Who reacted, for a tooltip: `you` for us, the peer's name for the
 * other side (a conversation has two). */
export function whoReacted(group: ReactionGroup, you: string, peerName: string): string {
  return group.senders.map((s) => (s.mine ? you : peerName)).join(', ')
}
