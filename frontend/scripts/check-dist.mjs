// Checks the built dist/ after `vite build`, and fails the build when:
// - index.html holds anything the CSP would refuse without 'unsafe-inline'
//   (an inline <script>, a <style> element, a style= or on*= attribute);
// - the JavaScript the first page load needs (the entry chunk and every
//   chunk it imports statically) is over the budget, gzipped.
// Prints the sizes either way.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const BUDGET_GZIP_BYTES = 250 * 1024
const dist = new URL('../dist/', import.meta.url).pathname
const failures = []

const html = readFileSync(join(dist, 'index.html'), 'utf8')
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') failures.push(`inline script: ${m[0].slice(0, 80)}`)
}
if (/<style\b/i.test(html)) failures.push('index.html has a <style> element')
if (/\sstyle=/i.test(html)) failures.push('index.html has a style= attribute')
if (/\son[a-z]+=/i.test(html)) failures.push('index.html has an inline event handler')

const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'))
const entries = Object.entries(manifest).filter(([, c]) => c.isEntry)
const initial = new Set()
const css = new Set()
function walk(key) {
  const chunk = manifest[key]
  if (!chunk || initial.has(chunk.file)) return
  initial.add(chunk.file)
  for (const c of chunk.css ?? []) css.add(c)
  for (const i of chunk.imports ?? []) walk(i)
}
for (const [key] of entries) walk(key)

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
let jsTotal = 0
for (const f of initial) {
  const n = gz(f)
  jsTotal += n
  console.log(`initial js  ${kb(n).padStart(9)} gz  ${f}`)
}
let cssTotal = 0
for (const f of css) {
  const n = gz(f)
  cssTotal += n
  console.log(`initial css ${kb(n).padStart(9)} gz  ${f}`)
}
const lazy = Object.values(manifest)
  .map((c) => c.file)
  .filter((f) => f.endsWith('.js') && !initial.has(f))
const lazyTotal = lazy.reduce((sum, f) => sum + gz(f), 0)
console.log(`initial JS ${kb(jsTotal)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)}), CSS ${kb(cssTotal)}; ` +
  `${lazy.length} lazy chunks ${kb(lazyTotal)}`)
if (entries.length === 0) failures.push('no entry chunk in the manifest')
if (jsTotal > BUDGET_GZIP_BYTES) failures.push(`initial JS ${kb(jsTotal)} is over the budget`)

if (failures.length) {
  for (const f of failures) console.error(`check-dist: ${f}`)
  process.exit(1)
}
console.log('check-dist: ok')
