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

export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown = {},
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetchImpl(path, {
      method,
      cache: 'no-store',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-CSRF-Token': await csrf(fetchImpl),
      },
      body: JSON.stringify(body),
    })
    const parsed: unknown = await res.json().catch(() => null)
    if (res.ok) return parsed as T
    const err = (parsed ?? {}) as { code?: string; error?: string }
    if (err.code === 'csrf_invalid' && attempt === 0) {
      forgetCsrfToken()
      continue
    }
    throw new ApiError(res.status, err.code ?? 'http_error', err.error ?? `HTTP ${res.status}`)
  }
}

/** `/api/v1/auth/status`. */
export interface AuthStatus {
  auth_enabled: boolean
  password_set: boolean
  authenticated: boolean
}
