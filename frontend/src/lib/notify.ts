// Alerts for incoming messages: a browser notification (when allowed and
// switched on) and a short beep made with Web Audio (no sound file, nothing
// the CSP has to allow).
import { usePrefsStore } from '../stores/prefs'

let audio: AudioContext | null = null

export function beep(): void {
  try {
    const Ctx = globalThis.AudioContext
    if (!Ctx) return
    audio ??= new Ctx()
    const osc = audio.createOscillator()
    const gain = audio.createGain()
    osc.frequency.value = 880
    gain.gain.setValueAtTime(0.15, audio.currentTime)
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25)
    osc.connect(gain).connect(audio.destination)
    osc.start()
    osc.stop(audio.currentTime + 0.25)
  } catch {
    // No audio output: the notification is enough.
  }
}

export function notificationsAllowed(): 'granted' | 'denied' | 'default' | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
}

/** Asks the browser for permission to notify (after a click). */
export async function askNotificationPermission(): Promise<string> {
  if (typeof Notification === 'undefined') return 'unsupported'
  return Notification.requestPermission()
}

/** An incoming message from `from`; `tag` groups a conversation's notifications. */
export function notifyIncoming(from: string, body: string, tag: string): void {
  const prefs = usePrefsStore()
  if (prefs.sound) beep()
  if (!prefs.notifications || notificationsAllowed() !== 'granted') return
  try {
    const n = new Notification(from, { body: body.slice(0, 200), tag })
    n.onclick = () => {
      globalThis.focus?.()
      globalThis.location?.assign(`/messages/${tag}`)
    }
  } catch {
    // Some browsers only notify from a service worker; the title count remains.
  }
}
