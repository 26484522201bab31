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
}
