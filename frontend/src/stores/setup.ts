// First-run setup: whether to show the wizard. It shows while this browser
// has not finished or skipped it AND the identity still has no name of its
// own (none, or the server's default "Anonymous Peer"): a user who named
// themselves elsewhere is not asked again. The flag lives in localStorage
// because the server's config has no key for it (PATCH ignores unknown keys).
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { useStatusStore } from './status'

export const SETUP_KEY = 'meshchatx.setup'
/** The name the server gives an identity that was never named. */
export const DEFAULT_NAME = 'Anonymous Peer'

function readDone(): boolean {
  try {
    return globalThis.localStorage?.getItem(SETUP_KEY) === 'done'
  } catch {
    return false
  }
}

export function hasOwnName(name: string | null | undefined): boolean {
  const n = (name ?? '').trim()
  return n !== '' && n !== DEFAULT_NAME
}

export const useSetupStore = defineStore('setup', () => {
  const status = useStatusStore()
  const done = ref(readDone())
  const needed = computed(() => !done.value && !!status.config && !hasOwnName(status.config.display_name))
  // Once shown it stays until finished or skipped: naming oneself in its
  // first step must not end it.
  const started = ref(false)
  watch(needed, (n) => n && (started.value = true), { immediate: true })
  const visible = computed(() => started.value && !done.value)

  /** Finished or skipped: not shown again in this browser. */
  function finish(): void {
    done.value = true
    try {
      globalThis.localStorage?.setItem(SETUP_KEY, 'done')
    } catch {
      // Storage disabled: it stays away for this page's life.
    }
  }

  return { done, needed, visible, finish }
})
