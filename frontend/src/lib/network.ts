// The network API's shapes (interfaces, live stats, paths, probes,
// propagation nodes) and the pure helpers the network pages share: byte
// and rate formatting, and the interface form's fields, checks and body.

/** `/api/v1/reticulum/interfaces`: config name → its settings as text. */
export type ConfiguredInterfaces = Record<string, Record<string, string>>

/** A row of `/api/v1/interface-stats`' `interface_stats.interfaces`. */
export interface InterfaceStat {
  name: string
  short_name: string
  type: string
  status: boolean
  mode: number
  bitrate: number
  clients?: number | null
  rxb: number
  txb: number
}

export interface InterfaceStats {
  interfaces: InterfaceStat[]
  rxb: number
  txb: number
  transport_id?: string | null
  transport_enabled?: boolean
  path_count?: number
  link_count?: number
}

/** `/api/v1/rnstatus`. */
export interface RnStatus {
  interfaces: {
    name: string
    short_name: string
    type: string
    status: string
    mode: string
    bitrate: string
    rx_bytes_str: string
    tx_bytes_str: string
    clients?: number | null
  }[]
  link_count: number
  transport_id?: string | null
  totals: { rx_bytes_str: string; tx_bytes_str: string }
}

/** `/api/v1/destination/{hash}/path`. */
export interface PathAnswer {
  path: { hops: number; next_hop: string | null; next_hop_interface: string | null } | null
  path_stale: boolean
}

/** `/api/v1/rnprobe`. */
export interface ProbeAnswer {
  results: { probe_number: number; status: string; hops?: number; rtt_string?: string; interface?: string; error?: string }[]
  sent: number
  delivered: number
  timeouts: number
  failed: number
}

/** `/api/v1/ping/{hash}/lxmf.delivery`. */
export interface PingAnswer {
  message: string
  ping_result: { rtt: number; hops_there: number; hops_back: number; receiving_interface: string | null }
}

/** A row of `/api/v1/lxmf/propagation-nodes`. */
export interface PropagationNode {
  destination_hash: string
  operator_display_name: string | null
  is_propagation_enabled: boolean
  per_transfer_limit: number | null
  is_preferred: boolean
  hops: number | null
  updated_at: number | null
}

/** `/api/v1/lxmf/propagation-node/status`. */
export interface SyncStatus {
  propagation_node_status: {
    state: string
    progress: number
    messages_received: number | null
    failure: string | null
  }
  lxmf_preferred_propagation_node_destination_hash: string | null
}

/** Sync states after which nothing more happens until the next sync. */
export const SYNC_DONE = ['idle', 'complete', 'failed'] as const

export const HASH_RE = /^[0-9a-f]{32}$/

/** A destination hash as typed (spaces, `<>` and case forgiven), or null. */
export function normaliseHash(s: string): string | null {
  const h = s.trim().replace(/[<>\s]/g, '').toLowerCase()
  return HASH_RE.test(h) ? h : null
}

/** Bytes in SI units, one decimal past a kilobyte: `1.5 kB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`
}

/** Bytes per second as bits per second: `8.0 kbps`. */
export function formatRate(bytesPerSecond: number): string {
  const units = ['bps', 'kbps', 'Mbps', 'Gbps']
  let v = bytesPerSecond * 8
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}

/** Receive and send rates in bytes per second between two samples of the
 * counters; null without a usable earlier sample (first poll, a counter
 * that went back after a restart of the interface). */
export function rates(
  before: { rxb: number; txb: number; at: number } | undefined,
  now: { rxb: number; txb: number; at: number },
): { rx: number; tx: number } | null {
  if (!before) return null
  const dt = (now.at - before.at) / 1000
  if (dt <= 0 || now.rxb < before.rxb || now.txb < before.txb) return null
  return { rx: (now.rxb - before.rxb) / dt, tx: (now.txb - before.txb) / dt }
}

/** Config truthiness as Reticulum reads it (`yes`, `true`, `1`, `on`). */
export function truthy(v: string | undefined): boolean {
  return !!v && ['yes', 'true', '1', 'on', 'y'].includes(v.trim().toLowerCase())
}

/** Whether a configured interface is enabled (`enabled` or `interface_enabled`). */
export function isEnabled(entries: Record<string, string>): boolean {
  const v = entries.enabled ?? entries.interface_enabled
  return v === undefined ? false : truthy(v)
}

// --- The interface form ----------------------------------------------------

export const INTERFACE_TYPES = ['TCPClientInterface', 'TCPServerInterface', 'UDPInterface', 'AutoInterface'] as const
export type InterfaceType = (typeof INTERFACE_TYPES)[number]

/** The settings a type's form shows, in order; `port` fields are numbers. */
export const FIELDS: Record<InterfaceType, readonly string[]> = {
  TCPClientInterface: ['target_host', 'target_port'],
  TCPServerInterface: ['listen_ip', 'listen_port'],
  UDPInterface: ['listen_ip', 'listen_port', 'forward_ip', 'forward_port'],
  AutoInterface: ['group_id', 'discovery_scope', 'devices', 'ignored_devices'],
}
const REQUIRED = new Set(['target_host', 'target_port', 'listen_ip', 'listen_port', 'forward_ip', 'forward_port'])
export const DISCOVERY_SCOPES = ['', 'link', 'admin', 'site', 'organisation', 'global'] as const
export const MODES = ['', 'full', 'gateway', 'access_point', 'roaming', 'boundary', 'point_to_point'] as const

/** Every setting a form may write; the rest of an edited entry is kept as it was. */
const FORM_KEYS = new Set(['type', 'mode', 'interface_mode', 'enabled', 'interface_enabled', ...Object.values(FIELDS).flat()])

export interface InterfaceDraft {
  name: string
  type: InterfaceType
  enabled: boolean
  mode: string
  values: Record<string, string>
}

export function emptyDraft(type: InterfaceType = 'TCPClientInterface'): InterfaceDraft {
  return { name: '', type, enabled: true, mode: '', values: {} }
}

/** A draft from a configured interface (to edit it). */
export function draftOf(name: string, entries: Record<string, string>): InterfaceDraft {
  const type = (INTERFACE_TYPES as readonly string[]).includes(entries.type ?? '')
    ? (entries.type as InterfaceType)
    : 'TCPClientInterface'
  const values: Record<string, string> = {}
  for (const f of FIELDS[type]) if (entries[f] !== undefined) values[f] = entries[f]
  return { name, type, enabled: isEnabled(entries), mode: entries.interface_mode ?? entries.mode ?? '', values }
}

/** Why a field is wrong: an i18n key under `interfaces.errors`, per field. */
export function validate(d: InterfaceDraft, taken: readonly string[] = []): Record<string, string> {
  const errors: Record<string, string> = {}
  const name = d.name.trim()
  if (!name) errors.name = 'nameRequired'
  // The config file's syntax: these would break the entry.
  else if (/[[\]#"']/.test(name) || name.length > 64) errors.name = 'nameChars'
  else if (taken.includes(name)) errors.name = 'nameTaken'
  for (const f of FIELDS[d.type]) {
    const v = (d.values[f] ?? '').trim()
    if (!v) {
      if (REQUIRED.has(f)) errors[f] = 'required'
      continue
    }
    if (f.endsWith('_port')) {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) errors[f] = 'port'
    } else if (f.endsWith('_host') || f.endsWith('_ip')) {
      if (/\s/.test(v)) errors[f] = 'host'
    } else if (/[#"']/.test(v)) errors[f] = 'chars'
  }
  return errors
}

/** The body of `POST /api/v1/reticulum/interfaces/add`. An edit keeps the
 * entry's other settings (the server replaces the whole entry). */
export function bodyOf(d: InterfaceDraft, previous?: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  if (previous) {
    for (const [k, v] of Object.entries(previous)) if (!FORM_KEYS.has(k)) body[k] = v
    body.allow_overwriting_interface = true
  }
  body.name = d.name.trim()
  body.type = d.type
  body.interface_enabled = d.enabled ? 'true' : 'false'
  if (d.mode) body.interface_mode = d.mode
  for (const f of FIELDS[d.type]) {
    const v = (d.values[f] ?? '').trim()
    if (v) body[f] = f.endsWith('_port') ? Number(v) : v
  }
  return body
}
