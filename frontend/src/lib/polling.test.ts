import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startPolling } from './polling'

describe('startPolling', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('calls at once and then every period, pauses while hidden, catches up when shown, and stops', async () => {
    let hidden = false
    const doc = new EventTarget() as Document
    Object.defineProperty(doc, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') })
    const fn = vi.fn()
    const stop = startPolling(fn, 1000, doc)
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2000)
    expect(fn).toHaveBeenCalledTimes(3)
    hidden = true
    doc.dispatchEvent(new Event('visibilitychange'))
    await vi.advanceTimersByTimeAsync(5000)
    expect(fn).toHaveBeenCalledTimes(3)
    hidden = false
    doc.dispatchEvent(new Event('visibilitychange'))
    await vi.advanceTimersByTimeAsync(0)
    expect(fn).toHaveBeenCalledTimes(4)
    stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(fn).toHaveBeenCalledTimes(4)
  })

  it('keeps polling after a failing call', async () => {
    const doc = new EventTarget() as Document
    Object.defineProperty(doc, 'visibilityState', { get: () => 'visible' })
    const fn = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined)
    const stop = startPolling(fn, 1000, doc)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fn).toHaveBeenCalledTimes(2)
    stop()
  })
})
