// Attachments in the composer: files read as base64 for the send request,
// and images made smaller on a canvas (WebP, JPEG where WebP is missing)
// before they are sent, bounded in pixels and bytes.

/** The server's limit on a message's attachments (decoded). */
export const MAX_ATTACHMENT_BYTES = 6 * 1024 * 1024
/** An image's longest side after compression. */
export const IMAGE_MAX_SIDE = 1280
/** Compressed images larger than this are tried again at a lower quality. */
export const IMAGE_TARGET_BYTES = 256 * 1024

export interface FileField {
  file_name: string
  file_bytes: string
}
export interface ImageField {
  image_type: string
  image_bytes: string
}

/** Base64 of bytes, in chunks (a spread of a large array overflows the stack). */
export function toBase64(bytes: Uint8Array): string {
  let bin = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(bin)
}

export async function fileField(file: File): Promise<FileField> {
  return { file_name: file.name || 'file', file_bytes: toBase64(new Uint8Array(await file.arrayBuffer())) }
}

function canvasBlob(canvas: HTMLCanvasElement, type: string, quality: number): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality))
}

/** Scales `w`×`h` so the longest side is at most `max`. */
export function fit(w: number, h: number, max = IMAGE_MAX_SIDE): { w: number; h: number } {
  const scale = Math.min(1, max / Math.max(w, h, 1))
  return { w: Math.max(1, Math.round(w * scale)), h: Math.max(1, Math.round(h * scale)) }
}

/** Decodes through an <img>: more lenient than createImageBitmap (which
 * refuses some PNGs that browsers still show). */
async function decode(file: File): Promise<HTMLImageElement | null> {
  const url = URL.createObjectURL(file)
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    return img
  } catch {
    return null
  } finally {
    URL.revokeObjectURL(url)
  }
}

/** The image re-encoded smaller; the original if the browser cannot decode it. */
export async function compressImage(file: File): Promise<{ blob: Blob; type: string }> {
  const img = await decode(file)
  if (!img || !img.naturalWidth) return { blob: file, type: file.type.replace('image/', '') || 'png' }
  const { w, h } = fit(img.naturalWidth, img.naturalHeight)
  const canvas = document.createElement('canvas')
  canvas.width = w
  canvas.height = h
  canvas.getContext('2d')?.drawImage(img, 0, 0, w, h)
  let best: Blob | null = null
  for (const type of ['image/webp', 'image/jpeg']) {
    for (const quality of [0.8, 0.6, 0.4]) {
      const blob = await canvasBlob(canvas, type, quality)
      // A browser without a WebP encoder hands back PNG.
      if (!blob || blob.type !== type) break
      if (!best || blob.size < best.size) best = blob
      if (blob.size <= IMAGE_TARGET_BYTES) return { blob, type: type.slice(6) }
    }
    if (best) break
  }
  if (best) return { blob: best, type: best.type.slice(6) }
  return { blob: file, type: file.type.replace('image/', '') || 'png' }
}

export async function imageField(file: File): Promise<{ field: ImageField; preview: string; size: number }> {
  const { blob, type } = await compressImage(file)
  const bytes = new Uint8Array(await blob.arrayBuffer())
  return {
    field: { image_type: type, image_bytes: toBase64(bytes) },
    preview: URL.createObjectURL(blob),
    size: bytes.length,
  }
}

export function formatSize(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`
}

export function attachmentUrl(hash: string, kind: 'image' | 'file', index = 0): string {
  const base = `/api/v1/lxmf-messages/attachment/${encodeURIComponent(hash)}/${kind}`
  return kind === 'file' ? `${base}?file_index=${index}` : base
}
