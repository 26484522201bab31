// Propagation nodes: the ones heard, the preferred one (kept by the server
// as `lxmf_preferred_propagation_node_destination_hash` of the config), and
// the sync with it: started, followed by polling its status (the server
// does not push it), stopped.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { getJson, sendJson } from '../lib/api'
import { SYNC_DONE, type PropagationNode, type SyncStatus } from '../lib/network'

type SyncState = SyncStatus['propagation_node_status']

export const usePropagationStore = defineStore('propagation', () => {
  const nodes = ref<PropagationNode[]>([])
  const sync = ref<SyncState | null>(null)
  const preferred = ref<string | null>(null)
  const loaded = ref(false)
  const error = ref('')
  /** A sync was started here and has not been seen to end yet. */
  const started = ref(false)

  const syncing = computed(() => !!sync.value && !(SYNC_DONE as readonly string[]).includes(sync.value.state))

  async function loadNodes(): Promise<void> {
    nodes.value = (await getJson<{ lxmf_propagation_nodes: PropagationNode[] }>('/api/v1/lxmf/propagation-nodes'))
      .lxmf_propagation_nodes
  }

  async function loadStatus(): Promise<void> {
    const s = await getJson<SyncStatus>('/api/v1/lxmf/propagation-node/status')
    sync.value = s.propagation_node_status
    preferred.value = s.lxmf_preferred_propagation_node_destination_hash
    if (!syncing.value) started.value = false
  }

  async function refresh(): Promise<void> {
    try {
      await Promise.all([loadNodes(), loadStatus()])
      error.value = ''
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loaded.value = true
    }
  }

  // Polled every second: the status while a sync runs, everything now and
  // then otherwise (new nodes are heard slowly).
  let lastFull = -Infinity
  async function tick(now = Date.now()): Promise<void> {
    if (syncing.value || started.value) {
      try {
        await loadStatus()
      } catch {
        // The next tick asks again.
      }
    }
    if (now - lastFull >= 10_000) {
      lastFull = now
      await refresh()
    }
  }

  /** Makes `hash` the preferred node; null clears it. */
  async function select(hash: string | null): Promise<void> {
    await sendJson('PATCH', '/api/v1/config', { lxmf_preferred_propagation_node_destination_hash: hash ?? '' })
    await refresh()
  }

  async function startSync(): Promise<void> {
    await sendJson('POST', '/api/v1/lxmf/propagation-node/sync')
    started.value = true
    await loadStatus().catch(() => undefined)
  }

  async function stopSync(): Promise<void> {
    await sendJson('POST', '/api/v1/lxmf/propagation-node/stop-sync')
    started.value = false
    await loadStatus().catch(() => undefined)
  }

  return { nodes, sync, preferred, loaded, error, syncing, started, refresh, loadNodes, loadStatus, tick, select, startSync, stopSync }
})
