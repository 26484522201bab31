// Calls a function now and then every `ms` while the page is visible: a
// hidden tab stops asking (no traffic for nobody to see) and catches up at
// once when shown again. Stops on the owning component's unmount.
import { onMounted, onUnmounted } from 'vue'

export function startPolling(fn: () => unknown, ms: number, doc: Document = document): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let stopped = false
  const tick = async () => {
    timer = null
    try {
      await fn()
    } catch {
      // The caller shows its own errors; the next tick tries again.
    } finally {
      if (!stopped && doc.visibilityState !== 'hidden') timer = setTimeout(tick, ms)
    }
  }
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') {
      if (timer) clearTimeout(timer)
      timer = null
    } else if (!timer && !stopped) void tick()
  }
  doc.addEventListener('visibilitychange', onVisibility)
  void tick()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    doc.removeEventListener('visibilitychange', onVisibility)
  }
}

/** `startPolling` for the life of the calling component. */
export function usePolling(fn: () => unknown, ms: number): void {
  let stop: (() => void) | null = null
  onMounted(() => (stop = startPolling(fn, ms)))
  onUnmounted(() => stop?.())
}
