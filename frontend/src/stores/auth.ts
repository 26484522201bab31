// Login state: whether the server wants a password and whether this
// browser is logged in; setup, login and logout. A login or logout changes
// the session, and with it the CSRF token.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { forgetCsrfToken, getJson, sendJson, type AuthStatus } from '../lib/api'

export const useAuthStore = defineStore('auth', () => {
  const status = ref<AuthStatus | null>(null)
  const required = computed(() => !!status.value && status.value.auth_enabled && !status.value.authenticated)
  const needsSetup = computed(() => !!status.value && !status.value.password_set)

  async function refresh(fetchImpl: typeof fetch = fetch): Promise<void> {
    status.value = await getJson<AuthStatus>('/api/v1/auth/status', fetchImpl)
  }

  async function submit(password: string, fetchImpl: typeof fetch = fetch): Promise<void> {
    const path = needsSetup.value ? '/api/v1/auth/setup' : '/api/v1/auth/login'
    await sendJson('POST', path, { password }, fetchImpl)
    forgetCsrfToken()
    await refresh(fetchImpl)
  }

  async function logout(fetchImpl: typeof fetch = fetch): Promise<void> {
    await sendJson('POST', '/api/v1/auth/logout', {}, fetchImpl)
    forgetCsrfToken()
    await refresh(fetchImpl)
  }

  return { status, required, needsSetup, refresh, submit, logout }
})
