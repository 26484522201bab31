// A JSON WebSocket that reconnects with capped exponential backoff and keeps
// the server's 90 s idle timeout away with a ping. The WebSocket class and the
// timers are injected so tests can drive it with a fake socket and fake time.

export interface SocketLike {
  readyState: number
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: unknown) => void) | null
  onerror: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type SocketFactory = (url: string) => SocketLike

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(id: unknown): void
}

export interface SocketOptions {
  url: string
  create?: SocketFactory
  timers?: Timers
  /** First retry delay; doubles on every failed attempt up to maxDelayMs. */
  minDelayMs?: number
  maxDelayMs?: number
  pingEveryMs?: number
  onMessage?: (msg: Record<string, unknown>) => void
  onOpen?: () => void
  onClose?: () => void
}

const OPEN = 1

const browserTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as number),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (id) => globalThis.clearInterval(id as number),
}

export class ReconnectingSocket {
  private socket: SocketLike | null = null
  private retryTimer: unknown = null
  private pingTimer: unknown = null
  private stopped = true
  /** Failed attempts since the last open; sets the next delay. */
  attempts = 0
  private readonly opts: Required<Omit<SocketOptions, 'onMessage' | 'onOpen' | 'onClose'>> &
    SocketOptions

  constructor(opts: SocketOptions) {
    // `??`, not a spread: an option passed as undefined keeps its default.
    this.opts = {
      ...opts,
      create: opts.create ?? ((url) => new WebSocket(url) as unknown as SocketLike),
      timers: opts.timers ?? browserTimers,
      minDelayMs: opts.minDelayMs ?? 500,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      pingEveryMs: opts.pingEveryMs ?? 30_000,
    }
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN
  }

  /** The wait before the next attempt after `attempts` failures. */
  static delayFor(attempts: number, min: number, max: number): number {
    return Math.min(max, min * 2 ** Math.max(0, attempts))
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.connect()
  }

  stop(): void {
    this.stopped = true
    this.clearTimers()
    const s = this.socket
    this.socket = null
    if (s) {
      s.onclose = null
      s.onmessage = null
      s.onerror = null
      s.close(1000, 'client closing')
    }
  }

  send(msg: Record<string, unknown>): boolean {
    if (!this.isOpen || !this.socket) return false
    this.socket.send(JSON.stringify(msg))
    return true
  }

  private connect(): void {
    if (this.stopped) return
    let s: SocketLike
    try {
      s = this.opts.create(this.opts.url)
    } catch {
      this.scheduleRetry()
      return
    }
    this.socket = s
    s.onopen = () => {
      this.attempts = 0
      const t = this.opts.timers
      this.pingTimer = t.setInterval(() => this.send({ type: 'ping' }), this.opts.pingEveryMs)
      this.opts.onOpen?.()
    }
    s.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      let msg: unknown
      try {
        msg = JSON.parse(ev.data)
      } catch {
        return
      }
      if (msg && typeof msg === 'object' && !Array.isArray(msg)) {
        this.opts.onMessage?.(msg as Record<string, unknown>)
      }
    }
    // A failed connect fires error then close; close alone decides the retry.
    s.onerror = () => {}
    s.onclose = () => {
      if (this.socket !== s) return
      this.socket = null
      this.clearTimers()
      this.opts.onClose?.()
      this.scheduleRetry()
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return
    const delay = ReconnectingSocket.delayFor(
      this.attempts,
      this.opts.minDelayMs,
      this.opts.maxDelayMs,
    )
    this.attempts += 1
    this.retryTimer = this.opts.timers.setTimeout(() => {
      this.retryTimer = null
      this.connect()
    }, delay)
  }

  private clearTimers(): void {
    const t = this.opts.timers
    if (this.retryTimer !== null) t.clearTimeout(this.retryTimer)
    if (this.pingTimer !== null) t.clearInterval(this.pingTimer)
    this.retryTimer = null
    this.pingTimer = null
  }
}

/** `ws(s)://<this host>/ws`, matching the page's scheme. */
export function socketUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`
}
