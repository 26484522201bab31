// Messages too large for a packet on their way in (`lxmf_incoming_transfer`
// pushes): their progress until they complete (then the message itself
// arrives as `lxmf.delivery`) or fail. Who sent one is known only once it is
// whole, so they are shown app-wide, not in a conversation.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

export interface IncomingTransfer {
  id: string
  /** 0 to 1. */
  progress: number
}

export const useIncomingStore = defineStore('incoming', () => {
  const byId = ref(new Map<string, number>())
  const transfers = computed<IncomingTransfer[]>(() =>
    [...byId.value].map(([id, progress]) => ({ id, progress })),
  )

  function handle(msg: Record<string, unknown>): void {
    if (msg.type !== 'lxmf_incoming_transfer') return
    const t = msg.transfer as { id?: unknown; progress?: unknown; state?: unknown } | undefined
    if (typeof t?.id !== 'string') return
    const next = new Map(byId.value)
    if (t.state === 'receiving' && typeof t.progress === 'number') {
      next.set(t.id, Math.min(1, Math.max(0, t.progress)))
    } else {
      // Complete (the message follows) or failed (its sender sends again).
      next.delete(t.id)
    }
    byId.value = next
  }

  /** After a reconnect nothing is known of transfers still shown. */
  function clear(): void {
    byId.value = new Map()
  }

  return { transfers, handle, clear }
})
