// Reading an LXMF address someone pasted: 32 hex characters, in any case,
// perhaps as an `lxmf://` link (what our QR codes carry) or in <angle brackets>.

const HASH = /^[0-9a-f]{32}$/

/** The address in lower case, or null when it is not one. */
export function parseAddress(input: string): string | null {
  const a = input
    .trim()
    .toLowerCase()
    .replace(/^lxmf:\/\//, '')
    .replace(/[<>\s/]/g, '')
  return HASH.test(a) ? a : null
}
