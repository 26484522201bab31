// Organising the conversation list: folders (list, create, rename,
// delete), pins, moving conversations between folders, and the bulk
// actions on a selection (mark read, delete, move). Each change reloads
// the list, so what shows is what the server stored.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { getJson, sendJson } from '../lib/api'
import { useMessagesStore } from './messages'

/** A row of `/api/v1/lxmf/folders`. */
export interface Folder {
  id: number
  name: string
}

export const useFoldersStore = defineStore('folders', () => {
  const messages = useMessagesStore()
  const folders = ref<Folder[]>([])
  const error = ref<string | null>(null)

  async function load(): Promise<void> {
    try {
      folders.value = await getJson<Folder[]>('/api/v1/lxmf/folders')
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    }
  }

  /** Runs a change, then reloads the folders and the list; errors land in `error`. */
  async function change(fn: () => Promise<unknown>, reloadFolders = false): Promise<boolean> {
    error.value = null
    try {
      await fn()
      return true
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
      return false
    } finally {
      if (reloadFolders) await load()
      await messages.loadConversations()
    }
  }

  const create = (name: string) =>
    change(() => sendJson('POST', '/api/v1/lxmf/folders', { name: name.trim() }), true)
  const rename = (id: number, name: string) =>
    change(() => sendJson('PATCH', `/api/v1/lxmf/folders/${id}`, { name: name.trim() }), true)
  async function remove(id: number): Promise<boolean> {
    // The list would otherwise stay filtered by a folder that is gone.
    if (messages.folderId === id) messages.folderId = null
    return change(() => sendJson('DELETE', `/api/v1/lxmf/folders/${id}`), true)
  }

  const togglePin = (peer: string) =>
    change(() => sendJson('POST', '/api/v1/lxmf/conversation-pins/toggle', { destination_hash: peer }))
  const move = (peers: string[], folderId: number | null) =>
    change(() => sendJson('POST', '/api/v1/lxmf/conversations/move-to-folder', { peer_hashes: peers, folder_id: folderId }))
  const markRead = (peers: string[]) =>
    change(() => sendJson('POST', '/api/v1/lxmf/conversations/bulk-mark-as-read', { destination_hashes: peers }))
  const removeConversations = (peers: string[]) =>
    change(() => sendJson('POST', '/api/v1/lxmf/conversations/bulk-delete', { destination_hashes: peers }))

  const nameOf = (id: number | null) => folders.value.find((f) => f.id === id)?.name ?? null

  return { folders, error, load, create, rename, remove, togglePin, move, markRead, removeConversations, nameOf }
})
