// The few HTTP API calls the UI makes. Same origin only; errors carry the
// server's `{error, code}` when it sent one.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export async function getJson<T>(path: string, fetchImpl: typeof fetch = fetch): Promise<T> {
  const res = await fetchImpl(path, { headers: { Accept: 'application/json' }, cache: 'no-store' })
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const err = (body ?? {}) as { code?: string; error?: string }
    throw new ApiError(res.status, err.code ?? 'http_error', err.error ?? `HTTP ${res.status}`)
  }
  return body as T
}

/** `/api/v1/status` (the fields the UI reads). */
export interface StatusBody {
  status: string
  stage: string
  version?: string
  network_ready?: boolean
  https_enabled?: boolean
  error?: string
}

/** `/api/v1/config`'s `config` (the fields the UI reads). */
export interface Config {
  display_name: string | null
  identity_hash: string
  lxmf_address_hash: string
  identity_public_key?: string
  auth_enabled?: boolean
  auto_announce_enabled?: boolean
  auto_announce_interval_seconds?: number
  /** 0: senders need no stamp. */
  lxmf_inbound_stamp_cost?: number
  lxmf_preferred_propagation_node_destination_hash?: string | null
  /** 0: no automatic sync. */
  lxmf_preferred_propagation_node_auto_sync_interval_seconds?: number
  /** Unix seconds of the last completed sync. */
  lxmf_preferred_propagation_node_last_synced_at?: number | null
}

/** An LXMF message row (`lxmf_message` in the API and the pushes). */
export interface LxmfMessage {
  id: number
  hash: string
  source_hash: string
  destination_hash: string
  is_incoming: boolean
  /** generating, outbound, sending, sent, delivered, rejected, cancelled, failed */
  state: string
  /** Percent, 0 to 100. */
  progress: number
  method: string | null
  title: string
  content: string
  fields: MessageFields
  timestamp: number
  reply_to_hash?: string | null
  /** A reaction is a message of its own; these name its target and emoji. */
  is_reaction?: boolean
  reaction_to?: string
  reaction_emoji?: string
  reaction_sender?: string
  created_at?: string
  updated_at?: string
}

/** The attachments in a message's `fields`: names and sizes; the bytes
 * (`null` here) come from `/api/v1/lxmf-messages/attachment/...`. */
export interface MessageFields {
  image?: { image_type: string; image_size?: number; image_bytes?: string | null }
  file_attachments?: { file_name: string; file_size?: number; file_bytes?: string | null }[]
  reply_to?: string
  [k: string]: unknown
}

/** A row of `/api/v1/lxmf/conversations`. */
export interface Conversation {
  destination_hash: string
  display_name: string
  custom_display_name: string | null
  unread_count: number
  is_unread: boolean
  failed_messages_count: number
  has_attachments: boolean
  latest_message_title: string | null
  latest_message_preview: string | null
  latest_message_created_at: string | null
  is_pinned: boolean
  folder_id: number | null
}

/** A row of `/api/v1/announces`. */
export interface Announce {
  id: number
  destination_hash: string
  aspect: string
  identity_hash: string
  display_name: string | null
  custom_display_name: string | null
  announce_count?: number
  snr?: number | null
  rssi?: number | null
  quality?: number | null
  created_at: string
  updated_at: string
}

export interface Favourite {
  destination_hash: string
  display_name: string
  aspect: string
}

/** A row of `/api/v1/identities`. */
export interface IdentityRow {
  hash: string
  display_name: string | null
  lxmf_address: string
  is_current: boolean
  message_count?: number
}

/** A row of `/api/v1/app/sessions`. */
export interface Session {
  id: string
  client_ip: string | null
  user_agent: string | null
  created_at: string | number
  last_seen_at: string | number
  current: boolean
}

// CSRF: every POST/PUT/PATCH/DELETE carries the session's token in
// `X-CSRF-Token` (the server refuses it otherwise, login on or off). The
// token comes from `GET /api/v1/auth/csrf`, which also sets the session
// cookie; it changes when the session does (login, logout), so a refusal
// with `csrf_invalid` fetches a fresh one and tries once more.
let csrfToken: string | null = null

export function forgetCsrfToken(): void {
  csrfToken = null
}

async function csrf(fetchImpl: typeof fetch): Promise<string> {
  if (csrfToken === null) {
    const body = await getJson<{ csrf_token: string }>('/api/v1/auth/csrf', fetchImpl)
    csrfToken = body.csrf_token
  }
  return csrfToken
}

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A mutating request with the CSRF header; retried once on `csrf_invalid`. */
async function mutate(
  method: Method,
  path: string,
  body: BodyInit,
  contentType: string,
  fetchImpl: typeof fetch,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetchImpl(path, {
      method,
      cache: 'no-store',
      headers: {
        Accept: 'application/json',
        'Content-Type': contentType,
        'X-CSRF-Token': await csrf(fetchImpl),
      },
      body,
    })
    if (res.ok) return res
    const parsed: unknown = await res.json().catch(() => null)
    const err = (parsed ?? {}) as { code?: string; error?: string }
    if (err.code === 'csrf_invalid' && attempt === 0) {
      forgetCsrfToken()
      continue
    }
    throw new ApiError(res.status, err.code ?? 'http_error', err.error ?? `HTTP ${res.status}`)
  }
}

export async function sendJson<T>(
  method: Method,
  path: string,
  body: unknown = {},
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  const res = await mutate(method, path, JSON.stringify(body), 'application/json', fetchImpl)
  return (await res.json().catch(() => null)) as T
}

/** A mutating request whose answer is a file (identity backups). */
export async function sendForBlob(path: string, fetchImpl: typeof fetch = fetch): Promise<Blob> {
  const res = await mutate('POST', path, '{}', 'application/json', fetchImpl)
  return res.blob()
}

/** Uploads raw bytes (an identity file or data archive to import). */
export async function sendBytes<T>(
  path: string,
  bytes: Blob,
  fetchImpl: typeof fetch = fetch,
  contentType = 'application/octet-stream',
): Promise<T> {
  const res = await mutate('POST', path, bytes, contentType, fetchImpl)
  return (await res.json().catch(() => null)) as T
}

/** Saves a blob under a file name through a temporary link. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** `?a=1&b=x` from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** `/api/v1/auth/status`. */
export interface AuthStatus {
  auth_enabled: boolean
  password_set: boolean
  authenticated: boolean
}
