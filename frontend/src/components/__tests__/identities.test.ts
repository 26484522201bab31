import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import IdentitiesPage from '../../pages/IdentitiesPage.vue'
import { mountWith, stubFetch } from '../../test-utils'

afterEach(() => vi.unstubAllGlobals())

const routes = {
  '/api/v1/identities/import': { identity: { hash: 'c'.repeat(32), display_name: 'Moved', message_count: 12 } },
  '/api/v1/identity/restore': { identity: { hash: 'd'.repeat(32), display_name: 'Restored Identity' } },
  '/api/v1/identities': {
    identities: [{ hash: 'e'.repeat(32), display_name: 'Me', lxmf_address: 'a'.repeat(32), is_current: true }],
  },
}

/** Picks `file` in the import form and submits it; returns the upload call. */
async function importFile(file: File) {
  const calls = stubFetch(routes)
  const { wrapper } = mountWith(IdentitiesPage as never)
  await flushPromises()
  const input = wrapper.get('input[type="file"]').element as HTMLInputElement
  Object.defineProperty(input, 'files', { value: [file] })
  await wrapper.get('form:has(input[type="file"])').trigger('submit')
  await flushPromises()
  const upload = calls.find((c) => c.init?.method === 'POST')
  return { wrapper, upload }
}

describe('IdentitiesPage import', () => {
  it('sends an archive of all data (a ZIP) to the import route', async () => {
    const zip = new File([new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])], 'meshchatx-x.zip')
    const { wrapper, upload } = await importFile(zip)
    expect(upload?.url).toBe('/api/v1/identities/import')
    expect(new Headers(upload?.init?.headers).get('content-type')).toBe('application/zip')
    expect(wrapper.get('[role="status"]').text()).toBe('Imported Moved with all its data (12 messages); it is online now.')
  })

  it('sends a 64-byte key file to the restore route', async () => {
    const key = new File([new Uint8Array(64).fill(7)], 'identity.bin')
    const { wrapper, upload } = await importFile(key)
    expect(upload?.url).toBe('/api/v1/identity/restore')
    expect(new Headers(upload?.init?.headers).get('content-type')).toBe('application/octet-stream')
    expect(wrapper.get('[role="status"]').text()).toBe('Imported Restored Identity.')
  })
})

describe('IdentitiesPage rename', () => {
  it('renames an identity with one PATCH and says so', async () => {
    const calls = stubFetch(routes)
    const { wrapper } = mountWith(IdentitiesPage as never)
    await flushPromises()
    await wrapper.get('[aria-label="Rename Me"]').trigger('click')
    await wrapper.get('input[id^="rename-"]').setValue('  Home  ')
    await wrapper.get('form:has(input[id^="rename-"])').trigger('submit')
    await flushPromises()
    const patch = calls.find((c) => c.init?.method === 'PATCH')
    expect(patch?.url).toBe(`/api/v1/identities/${'e'.repeat(32)}`)
    expect(JSON.parse(String(patch?.init?.body))).toEqual({ display_name: 'Home' })
    expect(wrapper.get('[role="status"]').text()).toBe('Renamed to Home; its next announce carries the name.')
    expect(wrapper.find('input[id^="rename-"]').exists()).toBe(false)
  })
})
