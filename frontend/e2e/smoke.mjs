// End-to-end smoke test: the real meshchatx binary (plain HTTP, port 0,
// loopback-only Reticulum config) and Debian's Chromium driven by
// playwright-core. Asserts that the page loads without CSP violations or
// console errors (also under a stricter CSP than the server's: no
// 'unsafe-inline' at all), the start-up screen reaches ready, every page
// is reachable through the main navigation by role and name, by keyboard
// and on a phone-width screen, the identity shown equals the binary's, a
// failed start-up shows its reason, and the offline indicator appears
// when the binary stops. Screenshots go to test-results/e2e/ (gitignored).
//
// Env: MESHCHATX_BIN (default ../target/debug/meshchatx), CHROMIUM
// (default /usr/bin/chromium).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import assert from 'node:assert/strict'
import {
  ARTIFACTS,
  TIMEOUT,
  launchChromium,
  reticulumConfig,
  startBinary,
  stop,
  tcpServer,
  watchCsp,
} from './harness.mjs'

const LOOPBACK_CONFIG = reticulumConfig(tcpServer('Loopback TCP', 0))
const BROKEN_CONFIG = reticulumConfig(tcpServer('Loopback TCP', 'not-a-port'))

const NAV = [
  { label: 'Messages', path: '/messages', heading: 'Messages', shot: 'messages' },
  { label: 'Network', path: '/network', heading: 'Network', shot: 'network' },
  { label: 'Propagation nodes', path: '/propagation-nodes', heading: 'Propagation nodes', shot: 'propagation-nodes' },
  { label: 'Interfaces', path: '/interfaces', heading: 'Interfaces', shot: 'interfaces' },
  { label: 'Network tools', path: '/network-tools', heading: 'Network tools', shot: 'network-tools' },
  { label: 'Identities', path: '/identities', heading: 'Identities', shot: 'identities' },
  { label: 'Settings', path: '/settings', heading: 'Settings', shot: 'settings' },
]

const tmpRoot = mkdtempSync(join(tmpdir(), 'meshchatx-ui-e2e-'))
const children = []

/** Records console errors, page errors and CSP violations of a page. */
function watch(page, sink) {
  page.on('console', (m) => {
    if (m.type() === 'error') sink.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => sink.push(`pageerror: ${e.message}`))
}

// Runs in the page before its own scripts (from outside the CSP).
async function violations(page) {
  return page.evaluate(() => window.__cspViolations ?? [])
}

const t0 = Date.now()
const step = (s) => console.log(`e2e: ${s} (${((Date.now() - t0) / 1000).toFixed(1)}s)`)
let browser
let exitCode = 0
try {
  mkdirSync(ARTIFACTS, { recursive: true })
  const app = await startBinary({ dir: join(tmpRoot, 'ok'), rnsConfig: LOOPBACK_CONFIG, children })
  assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.ok(app.identity && app.lxmf, 'the binary printed its identity and lxmf address')
  step(`binary at ${app.url}`)

  browser = await launchChromium()
  // A new context is a fresh profile: no storage, no cache.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
  await watchCsp(context)
  const errors = []
  const page = await context.newPage()
  watch(page, errors)

  // Load, and the start-up screen gives way to the app once ready.
  // The page follows /ws: it opens the socket and gets the start-up status.
  const greeted = new Promise((ok) =>
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => String(f.payload).includes('"startup_status"') && ok(ws.url())),
    ),
  )
  const res = await page.goto(app.url + '/', { waitUntil: 'load' })
  assert.equal(res.status(), 200)
  assert.match(res.headers()['content-security-policy'] ?? '', /default-src 'self'/)
  const nav = page.getByRole('navigation', { name: 'Main' })
  await nav.waitFor({ timeout: TIMEOUT })
  // A fresh identity gets the first-run setup; skipped here (chat.mjs goes
  // through it), by keyboard. It stays skipped for this browser profile.
  await page.getByRole('heading', { level: 1, name: 'Welcome to MeshChatX' }).waitFor({ timeout: TIMEOUT })
  await page.getByRole('button', { name: 'Skip setup' }).focus()
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor({ timeout: TIMEOUT })
  assert.equal(new URL(page.url()).pathname, '/messages')
  assert.equal(await page.getByRole('heading', { name: 'Starting MeshChatX' }).count(), 0)
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Connected' }).waitFor({ timeout: TIMEOUT })
  assert.equal(await greeted, app.url.replace('http://', 'ws://') + '/ws')
  step('ready, connected, socket greeted')

  // Every page through the main navigation, by role and accessible name.
  for (const item of NAV) {
    await nav.getByRole('link', { name: item.label, exact: true }).click()
    await page.getByRole('heading', { level: 1, name: item.heading, exact: true }).waitFor({ timeout: TIMEOUT })
    assert.equal(new URL(page.url()).pathname, item.path)
    await page.screenshot({ path: join(ARTIFACTS, `${item.shot}.png`), fullPage: true })
  }
  step('navigated every page')

  // The identity shown is the binary's.
  const idField = page.getByLabel('Identity hash', { exact: true })
  await idField.waitFor({ timeout: TIMEOUT })
  assert.equal(await idField.inputValue(), app.identity)
  assert.equal(await page.getByLabel('LXMF address', { exact: true }).inputValue(), app.lxmf)
  assert.ok(await page.getByRole('button', { name: 'Copy Identity hash' }).isVisible())

  // Announcing and delivery: the stamp cost is saved by the binary and kept.
  await page.getByLabel(/^Stamp cost senders must meet/).fill('8')
  await page.getByRole('button', { name: 'Save announcing and delivery' }).click()
  await page.getByRole('status').filter({ hasText: 'Saved; announced' }).waitFor({ timeout: TIMEOUT })
  const saved = await page.evaluate(async () => (await (await fetch('/api/v1/config')).json()).config)
  assert.equal(saved.lxmf_inbound_stamp_cost, 8)
  step('stamp cost saved')

  // Theme and language.
  await page.getByRole('radio', { name: 'Dark' }).check()
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), true)
  await page.screenshot({ path: join(ARTIFACTS, 'settings-dark.png'), fullPage: true })
  await page.getByLabel('Language').selectOption('de')
  await page.getByRole('heading', { level: 1, name: 'Einstellungen' }).waitFor({ timeout: TIMEOUT })
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de')
  await page.getByRole('navigation', { name: 'Hauptmenü' }).getByRole('link', { name: 'Nachrichten' }).waitFor()
  await page.getByLabel('Sprache').selectOption('en')
  await page.getByRole('radio', { name: 'Same as system' }).check()
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor({ timeout: TIMEOUT })
  step('identity, theme and language')

  // Keyboard only: the first Tab reaches the skip link; Tabbing on reaches
  // the Interfaces link and Enter follows it.
  await page.goto(app.url + '/messages')
  await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor({ timeout: TIMEOUT })
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content')
  let reached = false
  for (let i = 0; i < 15 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = (await page.evaluate(() => document.activeElement?.textContent?.trim())) === 'Interfaces'
  }
  assert.ok(reached, 'Tab reaches the Interfaces link')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'Interfaces' }).waitFor({ timeout: TIMEOUT })
  step('keyboard navigation')

  // Phone width: the navigation folds behind a menu button.
  const phone = await context.newPage()
  watch(phone, errors)
  await phone.setViewportSize({ width: 390, height: 844 })
  await phone.goto(app.url + '/messages')
  await phone.getByRole('heading', { level: 1, name: 'Messages' }).waitFor({ timeout: TIMEOUT })
  const menu = phone.getByRole('button', { name: 'Open menu' })
  assert.equal(await menu.getAttribute('aria-expanded'), 'false')
  assert.equal(await phone.getByRole('link', { name: 'Settings' }).isVisible(), false)
  await menu.click()
  await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
  await phone.getByRole('heading', { level: 1, name: 'Settings' }).waitFor({ timeout: TIMEOUT })
  assert.equal(await phone.getByRole('button', { name: 'Open menu' }).getAttribute('aria-expanded'), 'false')
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`)
  await phone.screenshot({ path: join(ARTIFACTS, 'phone-settings.png'), fullPage: true })
  step('phone width')

  // Our UI needs no 'unsafe-inline' at all: reload with a stricter policy.
  const strict = await context.newPage()
  watch(strict, errors)
  await strict.route('**/*', async (route) => {
    const response = await route.fetch()
    const headers = response.headers()
    headers['content-security-policy'] =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'"
    await route.fulfill({ response, headers })
  })
  await strict.goto(app.url + '/settings')
  await strict.getByLabel('Identity hash', { exact: true }).waitFor({ timeout: TIMEOUT })
  assert.deepEqual(await violations(strict), [], 'no CSP violations under the strict policy')
  await strict.close()
  step('strict CSP')

  assert.deepEqual(await violations(page), [], 'no CSP violations')
  assert.deepEqual(await violations(phone), [], 'no CSP violations (phone)')
  assert.deepEqual(errors, [], 'no console or page errors')
  await phone.close()

  // Stop the binary: the offline indicator appears.
  await page.goto(app.url + '/messages')
  await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor({ timeout: TIMEOUT })
  const exited = stop(app.child)
  await page.getByRole('alert').filter({ hasText: 'not reachable' }).waitFor({ timeout: TIMEOUT })
  await page.getByRole('status', { name: 'Connection' }).filter({ hasText: 'Offline' }).waitFor({ timeout: TIMEOUT })
  await page.screenshot({ path: join(ARTIFACTS, 'offline.png'), fullPage: true })
  step('offline indicator')
  assert.equal(await exited, 0, 'the binary exits 0 on SIGTERM')
  step('binary exited')

  // A start-up that fails shows the failure and its reason.
  const broken = await startBinary({ dir: join(tmpRoot, 'broken'), rnsConfig: BROKEN_CONFIG, children })
  const failed = await context.newPage()
  await failed.goto(broken.url + '/')
  await failed.getByRole('heading', { level: 1, name: 'Start-up failed' }).waitFor({ timeout: TIMEOUT })
  const alert = await failed.getByRole('alert').filter({ hasText: 'Reason' }).textContent()
  assert.match(alert ?? '', /listen_port/)
  await failed.screenshot({ path: join(ARTIFACTS, 'startup-failed.png'), fullPage: true })
  await stop(broken.child)
  step('failed start-up shown with its reason')

  console.log(`e2e: ok, screenshots in ${ARTIFACTS}`)
} catch (e) {
  console.error('e2e: FAILED:', e)
  exitCode = 1
} finally {
  await browser?.close().catch(() => {})
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  rmSync(tmpRoot, { recursive: true, force: true })
}
process.exit(exitCode)
