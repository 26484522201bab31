// Shared pieces of the end-to-end tests that start real processes: free
// ports, polling with a deadline, the meshchatx binary on a loopback-only
// Reticulum config, the Python peer (tests/interop/peer.py) and Chromium.
// Every Reticulum config written here is loopback-only: no AutoInterface,
// TCP on 127.0.0.1 only, passed explicitly (never the user's).
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'

const here = new URL('.', import.meta.url).pathname
export const ROOT = resolve(here, '../..')
export const ARTIFACTS = join(here, '../test-results/e2e')
export const TIMEOUT = 45_000
/** For UI work: a running `npm run dev`, proxying to the binary on :8000. */
export const DEV = process.env.UI_DEV_SERVER

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.on('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => ok(port))
    })
  })
}

/** Polls `fn` until it returns something truthy. */
export async function until(what, fn, { timeout = TIMEOUT, every = 250 } = {}) {
  const end = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

const RETICULUM = `[reticulum]
  enable_transport = No
  share_instance = No
  panic_on_interface_error = No
`

/** A loopback-only Reticulum config holding `interfaces` (may be empty). */
export const reticulumConfig = (interfaces = '') => `${RETICULUM}\n[interfaces]\n${interfaces}`

/** A TCP server interface on 127.0.0.1:`port` (config text). */
export const tcpServer = (name, port) => `  [[${name}]]
    type = TCPServerInterface
    enabled = yes
    listen_ip = 127.0.0.1
    listen_port = ${port}
`

/** A TCP client interface to 127.0.0.1:`port` (config text). */
export const tcpClient = (name, port) => `  [[${name}]]
    type = TCPClientInterface
    enabled = yes
    target_host = 127.0.0.1
    target_port = ${port}
`

/** The binary with `interfaces` (config text, may be empty; or a whole
 * `rnsConfig`) and extra `args`. Resolves once it listens, with its URL and
 * the identity and LXMF address it printed. */
export function startBinary({ dir, interfaces = '', rnsConfig, args = [], children }) {
  const bin = resolve(process.env.MESHCHATX_BIN ?? join(ROOT, 'target/debug/meshchatx'))
  mkdirSync(join(dir, 'rns'), { recursive: true })
  writeFileSync(join(dir, 'rns', 'config'), rnsConfig ?? reticulumConfig(interfaces))
  // With a dev server, the binary listens where its proxy points.
  const port = DEV ? (process.env.MESHCHATX_API_PORT ?? '8000') : '0'
  const child = spawn(
    bin,
    ['--no-https', '--host', '127.0.0.1', '--port', port, '--storage-dir', join(dir, 'storage'),
      '--reticulum-config-dir', join(dir, 'rns'), '--rns-log-level', 'warning', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  children.push(child)
  const info = {}
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no "listening on" line')), TIMEOUT)
    child.on('exit', (code) => fail(new Error(`meshchatx exited early (${code})`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^(identity|lxmf\.delivery):\s+([0-9a-f]{32})$/.exec(line)
      if (m) info[m[1]] = m[2]
      if (line.startsWith('listening on ')) {
        clearTimeout(timer)
        ok({ child, url: DEV ?? line.slice('listening on '.length), identity: info.identity, lxmf: info['lxmf.delivery'] })
      }
    })
  })
}

/** The Python peer: JSON lines over stdin/stdout (docs/interop.md). */
export class Peer {
  constructor({ python, dir, interfaces, children }) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'config'), reticulumConfig(interfaces).replace('\n[interfaces]', '\n[logging]\n  loglevel = 2\n\n[interfaces]'))
    this.child = spawn(python, [join(ROOT, 'tests/interop/peer.py'), '--config', dir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    children.push(this.child)
    this.stderr = []
    this.child.stderr.on('data', (d) => this.stderr.push(String(d)))
    this.next = 1
    this.pending = new Map()
    this.events = []
    this.waiters = []
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg
      try {
        msg = JSON.parse(line)
      } catch {
        return
      }
      if (msg.event) {
        this.events.push(msg)
        for (const w of [...this.waiters]) if (w.pred(msg)) w.ok(msg)
      } else if (this.pending.has(msg.id)) {
        const { ok, fail } = this.pending.get(msg.id)
        this.pending.delete(msg.id)
        if (msg.ok) ok(msg)
        else fail(new Error(`peer: ${msg.error}`))
      }
    })
  }

  event(pred, timeout = TIMEOUT) {
    const seen = this.events.find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((ok, fail) => {
      const w = {
        pred,
        ok: (m) => {
          clearTimeout(timer)
          this.waiters.splice(this.waiters.indexOf(w), 1)
          ok(m)
        },
      }
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        fail(new Error('peer: timed out waiting for an event'))
      }, timeout)
      this.waiters.push(w)
    })
  }

  call(cmd, args = {}) {
    const id = this.next++
    return new Promise((ok, fail) => {
      this.pending.set(id, { ok, fail })
      this.child.stdin.write(JSON.stringify({ id, cmd, ...args }) + '\n')
    })
  }
}

export function pythonPath() {
  if (process.env.PEER_PYTHON) return process.env.PEER_PYTHON
  const out = execFileSync('bash', [join(ROOT, 'scripts/setup-python.sh')], { encoding: 'utf8' })
  return out.trim().split('\n').at(-1).trim()
}

/** Headless Debian Chromium, quiet (no background traffic). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-features=Translate,MediaRouter,OptimizationHints,LocalNetworkAccessChecks',
    ],
  })
}

/** Stops a child with SIGTERM; resolves with its exit code. */
export function stop(child) {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok(child.exitCode)
    child.once('exit', (code) => ok(code))
    child.kill('SIGTERM')
  })
}

/** Records CSP violations in `window.__cspViolations`. */
export async function watchCsp(context) {
  await context.addInitScript(() => {
    window.__cspViolations = []
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    )
  })
}
