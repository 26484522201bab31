// End-to-end test of the Network pages: the meshchatx binary started with
// a loopback-only Reticulum config and no interfaces at all, a Python peer
// (tests/interop/peer.py) with a TCP server on 127.0.0.1, and, when lxmd is
// installed next to the peer's Python, a real LXMF propagation node (lxmd)
// with its own TCP server on 127.0.0.1. Through the UI, found by role and
// label: the form refuses wrong input and says why; a TCP client interface
// to the peer is added and shows online with traffic; the peer's announce
// arrives; path lookup, drop, request, probe and LXMF ping answer; the
// status table lists the interface; disable, enable, edit and delete (after
// a confirmation) act on the config; export then import brings it back; a second interface reaches lxmd, which
// shows as a propagation node that is chosen and synced from, with the
// outcome shown. Screenshots of each page go to test-results/e2e/.
//
// Env: MESHCHATX_BIN (default ../target/debug/meshchatx), CHROMIUM, PEER_PYTHON,
// UI_DEV_SERVER (see chat.mjs).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import assert from 'node:assert/strict'
import {
  ARTIFACTS,
  Peer,
  TIMEOUT,
  freePort,
  launchChromium,
  pythonPath,
  reticulumConfig,
  startBinary,
  tcpServer,
  until,
  watchCsp,
} from './harness.mjs'

const t0 = Date.now()
const step = (s) => console.log(`e2e-network: ${s} (${((Date.now() - t0) / 1000).toFixed(1)}s)`)
const tmpRoot = mkdtempSync(join(tmpdir(), 'meshchatx-ui-network-'))
const children = []

/** lxmd as a propagation node, its Reticulum on a TCP server at `port`. */
function startLxmd(lxmd, port) {
  const dir = join(tmpRoot, 'lxmd')
  mkdirSync(join(dir, 'rns'), { recursive: true })
  writeFileSync(
    join(dir, 'rns', 'config'),
    reticulumConfig(tcpServer('Loopback TCP', port)),
  )
  writeFileSync(
    join(dir, 'config'),
    `[propagation]\nenable_node = yes\nnode_name = Loopback Node\nannounce_at_start = yes\nautopeer = no\n\n[lxmf]\ndisplay_name = Loopback Node\nannounce_at_start = no\n\n[logging]\nloglevel = 2\n`,
  )
  const child = spawn(lxmd, ['--config', dir, '--rnsconfig', join(dir, 'rns')], { stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(child)
  return child
}

let browser
let page
let exitCode = 0
try {
  mkdirSync(ARTIFACTS, { recursive: true })
  const peerPort = await freePort()
  const python = pythonPath()
  const app = await startBinary({ dir: join(tmpRoot, 'app'), children })
  step(`binary at ${app.url}, no interfaces`)
  const peer = new Peer({ python, dir: join(tmpRoot, 'peer'), interfaces: tcpServer('Loopback TCP', peerPort), children })
  const ready = await peer.event((e) => e.event === 'ready' || e.event === 'startup_failed', 60_000)
  assert.equal(ready.event, 'ready', `peer started: ${JSON.stringify(ready)}`)
  const { delivery_hash: peerAddr } = await peer.call('lxmf_start', { display_name: 'Py Peer' })
  step(`peer ${peerAddr} listening on 127.0.0.1:${peerPort}`)

  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', acceptDownloads: true })
  await watchCsp(context)
  const errors = []
  page = await context.newPage()
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    // Refused requests (a 4xx the test provokes) are logged by the browser itself.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`)
  })
  const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  const nav = page.getByRole('navigation', { name: 'Main' })
  const heading = (name) => page.getByRole('heading', { level: 1, name }).waitFor({ timeout: TIMEOUT })

  // 1. No interfaces yet; the form refuses wrong input and says why.
  await page.goto(app.url + '/')
  // A fresh identity gets the first-run setup (chat.mjs goes through it).
  await page.getByRole('button', { name: 'Skip setup' }).click({ timeout: TIMEOUT })
  await heading('Messages')
  await nav.getByRole('link', { name: 'Interfaces' }).click()
  await heading('Interfaces')
  await page.getByText('No interfaces configured.').waitFor({ timeout: TIMEOUT })
  // By keyboard: focus the button, Enter opens the form.
  await page.getByRole('button', { name: 'Add interface' }).focus()
  await page.keyboard.press('Enter')
  const form = page.getByRole('form', { name: 'New interface' })
  await form.waitFor({ timeout: TIMEOUT })
  await form.getByRole('button', { name: 'Add', exact: true }).click()
  await form.getByText('Give the interface a name.').waitFor({ timeout: TIMEOUT })
  assert.equal(await form.getByLabel('Name').evaluate((el) => el === document.activeElement), true, 'the first wrong field has focus')
  await form.getByLabel('Name').fill('To peer')
  assert.equal(await form.getByLabel('Type').inputValue(), 'TCPClientInterface')
  await form.getByLabel('Host to connect to').fill('127.0.0.1')
  await form.getByLabel('Port to connect to').fill('70000')
  await form.getByRole('button', { name: 'Add', exact: true }).click()
  await form.getByText('A port is a whole number from 1 to 65535.').waitFor({ timeout: TIMEOUT })
  assert.equal(await form.getByLabel('Port to connect to').getAttribute('aria-invalid'), 'true')
  await form.getByLabel('Port to connect to').fill(String(peerPort))
  await form.getByRole('button', { name: 'Add', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'Interface To peer added.' }).waitFor({ timeout: TIMEOUT })
  await form.waitFor({ state: 'detached', timeout: TIMEOUT })
  step('the form refused a missing name and a bad port, then added the interface')

  // 2. Listed online (polling), with traffic once the peer announces.
  const interfaces = page.getByRole('list', { name: 'Interfaces' })
  const toPeer = interfaces.getByRole('listitem', { name: 'To peer' })
  await toPeer.getByText('Online', { exact: true }).waitFor({ timeout: 60_000 })
  await peer.call('lxmf_announce')
  await until('bytes received on the interface', async () => /↓ [1-9][0-9.]* k?B received/.test(await toPeer.textContent()))
  await shot('interfaces')
  step('interface online with traffic')

  // 3. The peer's announce arrives on the Network page.
  await nav.getByRole('link', { name: 'Network', exact: true }).click()
  await heading('Network')
  const peerItem = page.getByRole('list', { name: 'Announces' }).getByRole('listitem', { name: 'Py Peer' })
  await until('the peer announce in the list', async () => {
    if (await peerItem.count()) return true
    await peer.call('lxmf_announce')
    return peerItem.waitFor({ timeout: 5000 }).then(() => true).catch(() => false)
  }, { timeout: 60_000, every: 0 })
  step('peer announce seen')

  // 4. Network tools on the peer's address.
  await nav.getByRole('link', { name: 'Network tools' }).click()
  await heading('Network tools')
  const result = page.getByRole('status', { name: 'Result' })
  const target = page.getByLabel('Destination hash (32 hexadecimal characters)')
  await target.fill('not a hash')
  await page.getByRole('button', { name: 'Look up path' }).click()
  await page.getByText('A destination hash is 32 hexadecimal characters.').waitFor({ timeout: TIMEOUT })
  await target.fill(peerAddr.toUpperCase())
  await page.getByRole('button', { name: 'Look up path' }).click()
  await result.filter({ hasText: '1 hop away' }).filter({ hasText: 'Via interface' }).waitFor({ timeout: TIMEOUT })
  await page.getByRole('button', { name: 'Drop path' }).click()
  await result.filter({ hasText: 'The path was dropped.' }).waitFor({ timeout: TIMEOUT })
  await page.getByRole('button', { name: 'Look up path' }).click()
  await result.filter({ hasText: 'No path known to this destination.' }).waitFor({ timeout: TIMEOUT })
  // The peer answers a path request with its announce: the path is back.
  await page.getByRole('button', { name: 'Request path' }).click()
  await result.filter({ hasText: 'Path request' }).filter({ hasText: '1 hop away' }).waitFor({ timeout: 60_000 })
  await page.getByRole('button', { name: 'Probe' }).click()
  await result.filter({ hasText: '1 of 1 probes answered' }).waitFor({ timeout: 60_000 })
  await page.getByRole('button', { name: 'Ping (LXMF)' }).click()
  await result.filter({ hasText: 'LXMF ping' }).filter({ hasText: /Reply in [0-9.]+ ms/ }).waitFor({ timeout: 60_000 })
  const statusRow = page.getByRole('table', { name: 'Interface status' }).getByRole('row', { name: /To peer/ })
  await statusRow.getByRole('cell', { name: 'Up', exact: true }).waitFor({ timeout: TIMEOUT })
  await shot('network-tools')
  step('path lookup, drop, request, probe, ping and the status table')

  // 5. Disable, enable, edit, delete (confirmed).
  await nav.getByRole('link', { name: 'Interfaces' }).click()
  await heading('Interfaces')
  await page.getByRole('button', { name: 'Disable To peer' }).click()
  await toPeer.getByText('Disabled', { exact: true }).waitFor({ timeout: TIMEOUT })
  await until('the peer saw us go', async () => !(await page.evaluate(() => fetch('/api/v1/rnstatus').then((r) => r.json())))
    .interfaces.some((i) => i.short_name === 'To peer' && i.status === 'Up'))
  await page.getByRole('button', { name: 'Enable To peer' }).click()
  await toPeer.getByText('Online', { exact: true }).waitFor({ timeout: 60_000 })
  await page.getByRole('button', { name: 'Edit To peer' }).click()
  const edit = page.getByRole('form', { name: 'Edit To peer' })
  assert.equal(await edit.getByLabel('Port to connect to').inputValue(), String(peerPort))
  await edit.getByLabel('Interface mode').selectOption({ label: 'Roaming' })
  await edit.getByRole('button', { name: 'Save', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'Interface To peer saved.' }).waitFor({ timeout: TIMEOUT })
  const config = await page.evaluate(() => fetch('/api/v1/reticulum/interfaces').then((r) => r.json()))
  assert.equal(config.interfaces['To peer'].interface_mode, 'roaming')
  assert.equal(config.interfaces['To peer'].target_port, String(peerPort))
  await toPeer.getByText('Online', { exact: true }).waitFor({ timeout: 60_000 })
  // Exported as config text (imported again after the delete below).
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: TIMEOUT }),
    page.getByRole('button', { name: 'Export all' }).click(),
  ])
  const exported = readFileSync(await download.path(), 'utf8')
  assert.match(exported, /\[\[To peer\]\]/)
  assert.match(exported, new RegExp(`target_port\\s*=\\s*${peerPort}`))
  step('disabled, enabled, edited, exported')

  // 6. A propagation node: lxmd, reached through a second interface.
  const lxmd = join(dirname(python), 'lxmd')
  if (existsSync(lxmd)) {
    const nodePort = await freePort()
    startLxmd(lxmd, nodePort)
    await page.getByRole('button', { name: 'Add interface' }).click()
    await form.getByLabel('Name').fill('To node')
    await form.getByLabel('Host to connect to').fill('127.0.0.1')
    await form.getByLabel('Port to connect to').fill(String(nodePort))
    // lxmd may still be starting: the interface retries until it listens.
    await form.getByRole('button', { name: 'Add', exact: true }).click()
    await interfaces.getByRole('listitem', { name: 'To node' }).getByText('Online', { exact: true }).waitFor({ timeout: 90_000 })
    await nav.getByRole('link', { name: 'Propagation nodes' }).click()
    await heading('Propagation nodes')
    const node = page.getByRole('list', { name: 'Propagation nodes' }).getByRole('listitem', { name: 'Loopback Node' })
    await node.waitFor({ timeout: 90_000 })
    await page.getByRole('button', { name: 'Use Loopback Node' }).click()
    await node.getByText('Preferred', { exact: true }).waitFor({ timeout: TIMEOUT })
    await page.getByText('Preferred node: Loopback Node').waitFor({ timeout: TIMEOUT })
    await page.getByRole('button', { name: 'Sync now' }).click()
    const syncState = page.getByRole('status', { name: 'Sync state' })
    await syncState.filter({ hasText: /Sync complete: 0 messages received\.|Sync failed/ }).waitFor({ timeout: 90_000 })
    assert.match(await syncState.textContent(), /Sync complete: 0 messages received\./, 'the sync completed')
    // The completed sync is in the config (pushed): no longer "never".
    await page.getByText(/^Last completed sync: (?!never)/).waitFor({ timeout: TIMEOUT })
    await page.getByLabel('Sync by itself').selectOption({ label: 'Every hour' })
    await until('auto-sync saved', async () => {
      const c = await page.evaluate(() => fetch('/api/v1/config').then((r) => r.json()))
      return c.config.lxmf_preferred_propagation_node_auto_sync_interval_seconds === 3600
    })
    await shot('propagation-nodes')
    step('lxmd listed, chosen, synced: complete')
  } else {
    await nav.getByRole('link', { name: 'Propagation nodes' }).click()
    await heading('Propagation nodes')
    await page.getByText('No propagation nodes heard yet.').waitFor({ timeout: TIMEOUT })
    await shot('propagation-nodes')
    step(`no lxmd at ${lxmd}: the empty list only`)
  }

  // 7. Delete, after a confirmation that can be declined.
  await nav.getByRole('link', { name: 'Interfaces' }).click()
  await heading('Interfaces')
  await page.getByRole('button', { name: 'Delete To peer' }).click()
  const confirm = page.getByRole('group', { name: 'Confirm deletion' })
  await confirm.getByRole('button', { name: 'Keep it' }).click()
  await confirm.waitFor({ state: 'detached', timeout: TIMEOUT })
  assert.equal(await toPeer.count(), 1, 'kept')
  await page.getByRole('button', { name: 'Delete To peer' }).click()
  await confirm.getByRole('button', { name: 'Yes, delete To peer' }).click()
  await toPeer.waitFor({ state: 'detached', timeout: TIMEOUT })
  await page.getByRole('status').filter({ hasText: 'Interface To peer deleted.' }).waitFor({ timeout: TIMEOUT })
  const after = await page.evaluate(() => fetch('/api/v1/reticulum/interfaces').then((r) => r.json()))
  assert.equal(after.interfaces['To peer'], undefined, 'gone from the config')
  step('delete: declined once, then confirmed')
  await page.getByText('Import interfaces').click()
  await page.getByLabel('Interfaces as exported (Reticulum config text)').fill(exported)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
  await page.getByRole('status').filter({ hasText: 'Imported: To peer' }).waitFor({ timeout: TIMEOUT })
  await toPeer.getByText('Online', { exact: true }).waitFor({ timeout: 60_000 })
  step('imported again from the export, online')

  // 8. Phone width: each page fits without sideways scrolling.
  const phone = await context.newPage()
  phone.on('pageerror', (e) => errors.push(`pageerror (phone): ${e.message}`))
  await phone.setViewportSize({ width: 390, height: 844 })
  for (const [path, name, file] of [
    ['/interfaces', 'Interfaces', 'phone-interfaces'],
    ['/network-tools', 'Network tools', 'phone-network-tools'],
    ['/propagation-nodes', 'Propagation nodes', 'phone-propagation-nodes'],
  ]) {
    await phone.goto(app.url + path)
    await phone.getByRole('heading', { level: 1, name }).waitFor({ timeout: TIMEOUT })
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `${path}: no sideways scrolling on a phone (overflow ${overflow}px)`)
    await phone.screenshot({ path: join(ARTIFACTS, `${file}.png`), fullPage: true })
  }
  await phone.close()
  step('phone width')

  assert.deepEqual(await page.evaluate(() => window.__cspViolations ?? []), [], 'no CSP violations')
  assert.deepEqual(errors, [], 'no page errors')
  console.log(`e2e-network: ok in ${((Date.now() - t0) / 1000).toFixed(1)}s, screenshots in ${ARTIFACTS}`)
} catch (e) {
  console.error('e2e-network: FAILED:', e)
  await page?.screenshot({ path: join(ARTIFACTS, 'network-failure.png'), fullPage: true }).catch(() => {})
  exitCode = 1
} finally {
  await browser?.close().catch(() => {})
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(tmpRoot, { recursive: true, force: true })
}
process.exit(exitCode)
