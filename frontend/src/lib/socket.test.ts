import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReconnectingSocket, socketUrl, type SocketLike } from './socket'

/** A stand-in for the browser's WebSocket that the test opens and closes. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = []
  readyState = 0
  sent: string[] = []
  closed = false
  onopen: ((ev: unknown) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  constructor(readonly url: string) {
    FakeSocket.all.push(this)
  }
  send(data: string) {
    this.sent.push(data)
  }
  close() {
    this.closed = true
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  fail() {
    this.readyState = 3
    this.onerror?.({})
    this.onclose?.({})
  }
  receive(data: unknown) {
    this.onmessage?.({ data })
  }
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1]!

function make(extra: Partial<ConstructorParameters<typeof ReconnectingSocket>[0]> = {}) {
  return new ReconnectingSocket({
    url: 'ws://127.0.0.1:1/ws',
    create: (url) => new FakeSocket(url),
    ...extra,
  })
}

describe('ReconnectingSocket', () => {
  beforeEach(() => {
    FakeSocket.all = []
    vi.useFakeTimers()
  })
  afterEach(() => vi.useRealTimers())

  it('backs off exponentially up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => ReconnectingSocket.delayFor(a, 500, 10_000))).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ])
  })

  it('reconnects after a close, waiting longer after each failure, and resets on open', () => {
    const opened = vi.fn()
    const closed = vi.fn()
    const s = make({ onOpen: opened, onClose: closed })
    s.start()
    expect(FakeSocket.all).toHaveLength(1)
    last().open()
    expect(opened).toHaveBeenCalledTimes(1)
    expect(s.isOpen).toBe(true)

    last().fail()
    expect(closed).toHaveBeenCalledTimes(1)
    expect(s.isOpen).toBe(false)
    vi.advanceTimersByTime(499)
    expect(FakeSocket.all).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(2)

    last().fail()
    vi.advanceTimersByTime(999)
    expect(FakeSocket.all).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(3)

    last().open()
    expect(s.attempts).toBe(0)
    last().fail()
    vi.advanceTimersByTime(500)
    expect(FakeSocket.all).toHaveLength(4)
  })

  it('does not reconnect once stopped, and closes the open socket', () => {
    const s = make()
    s.start()
    const first = last()
    first.open()
    s.stop()
    expect(first.closed).toBe(true)
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(1)
  })

  it('retries when the socket cannot even be created', () => {
    let calls = 0
    const s = make({
      create: (url) => {
        calls += 1
        if (calls === 1) throw new Error('blocked')
        return new FakeSocket(url)
      },
    })
    s.start()
    expect(FakeSocket.all).toHaveLength(0)
    vi.advanceTimersByTime(500)
    expect(FakeSocket.all).toHaveLength(1)
  })

  it('hands JSON objects to onMessage and ignores anything else', () => {
    const got: unknown[] = []
    const s = make({ onMessage: (m) => got.push(m) })
    s.start()
    last().open()
    last().receive('{"type":"pong"}')
    last().receive('not json')
    last().receive('[1,2]')
    last().receive(new ArrayBuffer(2))
    expect(got).toEqual([{ type: 'pong' }])
  })

  it('pings while open so the server does not close an idle socket', () => {
    const s = make({ pingEveryMs: 30_000 })
    s.start()
    last().open()
    vi.advanceTimersByTime(30_000)
    expect(last().sent).toEqual(['{"type":"ping"}'])
    last().fail()
    vi.advanceTimersByTime(30_000)
    expect(FakeSocket.all[0]!.sent).toHaveLength(1)
  })

  it('uses the browser WebSocket when no factory is given, even one passed as undefined', () => {
    const created: string[] = []
    class BrowserSocket extends FakeSocket {
      constructor(url: string) {
        super(url)
        created.push(url)
      }
    }
    vi.stubGlobal('WebSocket', BrowserSocket)
    try {
      const s = new ReconnectingSocket({ url: 'ws://h/ws', create: undefined, timers: undefined })
      s.start()
      expect(created).toEqual(['ws://h/ws'])
      s.stop()
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('builds the URL from the page scheme', () => {
    expect(socketUrl({ protocol: 'https:', host: '127.0.0.1:8000' })).toBe('wss://127.0.0.1:8000/ws')
    expect(socketUrl({ protocol: 'http:', host: 'localhost:1' })).toBe('ws://localhost:1/ws')
  })
})
