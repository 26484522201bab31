import { describe, expect, it, vi } from 'vitest'
import { forgetCsrfToken, sendJson } from './api'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('sendJson', () => {
  it('fetches the CSRF token once, sends it, and refetches it after a csrf_invalid', async () => {
    forgetCsrfToken()
    const tokens = ['t1', 't2']
    const seen: (string | null)[] = []
    const fetchImpl = vi.fn(async (path: RequestInfo | URL, init?: RequestInit) => {
      if (String(path) === '/api/v1/auth/csrf') return json(200, { csrf_token: tokens.shift() })
      const sent = new Headers(init?.headers).get('X-CSRF-Token')
      seen.push(sent)
      if (sent === 't1' && seen.length === 2) return json(403, { code: 'csrf_invalid', error: 'no' })
      return json(200, { message: 'ok' })
    }) as unknown as typeof fetch
    expect(await sendJson('POST', '/api/v1/x', {}, fetchImpl)).toEqual({ message: 'ok' })
    expect(await sendJson('PATCH', '/api/v1/y', { a: 1 }, fetchImpl)).toEqual({ message: 'ok' })
    expect(seen).toEqual(['t1', 't1', 't2'])
  })
})
