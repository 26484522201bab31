// The server's start-up stage and our connection to it: polls
// /api/v1/status, follows /ws (startup_status, config), and fetches the
// config once the identity is online. Dependencies are injectable so tests
// run it with a fake fetch, fake socket and fake timers.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { getJson, type Config, type StatusBody } from '../lib/api'
import { ReconnectingSocket, socketUrl, type SocketFactory, type Timers } from '../lib/socket'

export const STAGES = ['starting', 'rns', 'identity', 'ready'] as const
export type Stage = (typeof STAGES)[number] | 'failed' | 'unknown'
export type Connection = 'connecting' | 'online' | 'offline'

export interface StatusDeps {
  fetch?: typeof fetch
  createSocket?: SocketFactory
  timers?: Timers
  socketUrl?: string
  /** Poll period while starting or offline, and once all is well. */
  fastPollMs?: number
  slowPollMs?: number
}

function asStage(s: unknown): Stage {
  return s === 'failed' || (STAGES as readonly unknown[]).includes(s) ? (s as Stage) : 'unknown'
}

export const useStatusStore = defineStore('status', () => {
  const stage = ref<Stage>('unknown')
  const error = ref<string | null>(null)
  const version = ref<string | null>(null)
  const config = ref<Config | null>(null)
  /** Result of the last status poll; null before the first one. */
  const httpOk = ref<boolean | null>(null)
  const socketOpen = ref(false)
  const socketEverOpen = ref(false)

  const ready = computed(() => stage.value === 'ready')
  const connection = computed<Connection>(() => {
    if (httpOk.value === false) return 'offline'
    if (socketEverOpen.value && !socketOpen.value) return 'offline'
    if (httpOk.value === null && !socketOpen.value) return 'connecting'
    return 'online'
  })

  let deps: Required<Omit<StatusDeps, 'createSocket'>> & Pick<StatusDeps, 'createSocket'>
  let socket: ReconnectingSocket | null = null
  let pollTimer: unknown = null
  let running = false
  let configLoading = false

  function applyStatus(body: Partial<StatusBody> & Record<string, unknown>): void {
    const next = asStage(body.stage)
    stage.value = next
    error.value = next === 'failed' ? String(body.error ?? '') || null : null
    if (typeof body.version === 'string') version.value = body.version
    if (next === 'ready' && !config.value) void loadConfig()
  }

  function applyConfig(c: unknown): void {
    if (c && typeof c === 'object' && typeof (c as Config).identity_hash === 'string') {
      config.value = c as Config
    }
  }

  async function loadConfig(): Promise<void> {
    if (configLoading || !deps) return
    configLoading = true
    try {
      const body = await getJson<{ config: Config }>('/api/v1/config', deps.fetch)
      applyConfig(body.config)
    } catch {
      // The next ready status (poll or socket) tries again.
    } finally {
      configLoading = false
    }
  }

  async function poll(): Promise<void> {
    try {
      const body = await getJson<StatusBody>('/api/v1/status', deps.fetch)
      httpOk.value = true
      applyStatus(body as StatusBody & Record<string, unknown>)
    } catch {
      httpOk.value = false
    }
  }

  function schedulePoll(): void {
    if (!running) return
    const calm = ready.value && connection.value === 'online'
    pollTimer = deps.timers.setTimeout(
      async () => {
        pollTimer = null
        await poll()
        schedulePoll()
      },
      calm ? deps.slowPollMs : deps.fastPollMs,
    )
  }

  // Other stores follow the socket's pushes through these listeners.
  const listeners = new Set<(msg: Record<string, unknown>) => void>()
  /** Calls `fn` with every push; returns the unsubscribe function. */
  function onEvent(fn: (msg: Record<string, unknown>) => void): () => void {
    listeners.add(fn)
    return () => listeners.delete(fn)
  }
  // Listeners run again after every reconnect, to catch up on what they missed.
  const reconnectListeners = new Set<() => void>()
  function onReconnect(fn: () => void): () => void {
    reconnectListeners.add(fn)
    return () => reconnectListeners.delete(fn)
  }

  function onMessage(msg: Record<string, unknown>): void {
    if (msg.type === 'startup_status') applyStatus(msg)
    else if (msg.type === 'config') applyConfig(msg.config)
    else if (msg.type === 'identity_switched') {
      // The config (hash, address, name) belongs to the new identity now.
      config.value = null
      void loadConfig()
    }
    for (const fn of listeners) {
      try {
        fn(msg)
      } catch (e) {
        console.warn('socket listener failed', e)
      }
    }
  }

  /** Starts polling and the socket; a second call does nothing. */
  async function start(d: StatusDeps = {}): Promise<void> {
    if (running) return
    running = true
    deps = {
      fetch: d.fetch ?? ((...a) => fetch(...a)),
      timers: d.timers ?? {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (id) => clearTimeout(id as number),
        setInterval: (fn, ms) => setInterval(fn, ms),
        clearInterval: (id) => clearInterval(id as number),
      },
      socketUrl: d.socketUrl ?? socketUrl(),
      fastPollMs: d.fastPollMs ?? 2000,
      slowPollMs: d.slowPollMs ?? 15000,
      createSocket: d.createSocket,
    }
    socket = new ReconnectingSocket({
      url: deps.socketUrl,
      create: deps.createSocket,
      timers: deps.timers,
      onMessage,
      onOpen: () => {
        const again = socketEverOpen.value
        socketOpen.value = true
        socketEverOpen.value = true
        if (again) for (const fn of reconnectListeners) fn()
      },
      onClose: () => {
        socketOpen.value = false
        // Find out at once whether the server is gone or only the socket.
        void poll()
      },
    })
    socket.start()
    await poll()
    schedulePoll()
  }

  /** Opens the socket again at once (after a login: the old one was refused). */
  function reconnectNow(): void {
    if (!running || !socket) return
    socket.stop()
    socket.start()
  }

  function stop(): void {
    running = false
    socket?.stop()
    socket = null
    if (pollTimer !== null) deps.timers.clearTimeout(pollTimer)
    pollTimer = null
  }

  return {
    stage,
    error,
    version,
    config,
    httpOk,
    socketOpen,
    socketEverOpen,
    ready,
    connection,
    applyStatus,
    applyConfig,
    loadConfig,
    onEvent,
    onReconnect,
    reconnectNow,
    poll,
    start,
    stop,
  }
})
