// The Reticulum interfaces: as configured (the config file's entries) and
// as running (online, bytes, rates from successive stats samples), joined
// by name; and the edits (add or save, enable, disable, delete).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { getJson, sendJson } from '../lib/api'
import {
  bodyOf,
  isEnabled,
  rates,
  type ConfiguredInterfaces,
  type InterfaceDraft,
  type InterfaceStat,
  type InterfaceStats,
} from '../lib/network'

export interface InterfaceRow {
  name: string
  type: string
  entries: Record<string, string>
  enabled: boolean
  /** null: not running (disabled, or a type this stack does not run). */
  stat: InterfaceStat | null
  rate: { rx: number; tx: number } | null
}

export const useInterfacesStore = defineStore('interfaces', () => {
  const configured = ref<ConfiguredInterfaces>({})
  const stats = ref<InterfaceStats | null>(null)
  const rateOf = ref<Record<string, { rx: number; tx: number } | null>>({})
  const loaded = ref(false)
  const error = ref('')
  // The previous sample of each interface's counters, for its rates.
  let samples: Record<string, { rxb: number; txb: number; at: number }> = {}

  const rows = computed<InterfaceRow[]>(() =>
    Object.entries(configured.value).map(([name, entries]) => ({
      name,
      type: entries.type ?? '',
      entries,
      enabled: isEnabled(entries),
      stat: stats.value?.interfaces.find((s) => s.short_name === name) ?? null,
      rate: rateOf.value[name] ?? null,
    })),
  )

  async function loadConfigured(): Promise<void> {
    configured.value = (await getJson<{ interfaces: ConfiguredInterfaces }>('/api/v1/reticulum/interfaces')).interfaces
  }

  async function loadStats(now = Date.now()): Promise<void> {
    const s = (await getJson<{ interface_stats: InterfaceStats }>('/api/v1/interface-stats')).interface_stats
    const next: typeof samples = {}
    const r: Record<string, { rx: number; tx: number } | null> = {}
    for (const i of s.interfaces) {
      const sample = { rxb: i.rxb, txb: i.txb, at: now }
      next[i.short_name] = sample
      r[i.short_name] = rates(samples[i.short_name], sample)
    }
    samples = next
    stats.value = s
    rateOf.value = r
  }

  /** Both lists; a failure is kept in `error` (the page shows it). */
  async function refresh(): Promise<void> {
    try {
      await Promise.all([loadConfigured(), loadStats()])
      error.value = ''
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loaded.value = true
    }
  }

  /** Adds, or with `previous` (the entry as configured) saves over it. */
  async function save(draft: InterfaceDraft, previous?: Record<string, string>): Promise<string> {
    const r = await sendJson<{ message: string }>('POST', '/api/v1/reticulum/interfaces/add', bodyOf(draft, previous))
    await refresh()
    return r?.message ?? ''
  }

  async function setEnabled(name: string, enabled: boolean): Promise<void> {
    await sendJson('POST', `/api/v1/reticulum/interfaces/${enabled ? 'enable' : 'disable'}`, { name })
    await refresh()
  }

  async function remove(name: string): Promise<void> {
    await sendJson('POST', '/api/v1/reticulum/interfaces/delete', { name })
    await refresh()
  }

  /** Adds the interfaces of exported config text; their names. */
  async function importText(config: string): Promise<string[]> {
    const r = await sendJson<{ imported?: string[] }>('POST', '/api/v1/reticulum/interfaces/import', { config })
    await refresh()
    return r?.imported ?? []
  }

  return { importText, configured, stats, rows, loaded, error, refresh, loadStats, save, setEnabled, remove }
})
