/**
 * Cheap checks on the first bytes of a file ("magic numbers"). Shared by the format readers and the
 * dispatcher in ./index.ts. Each takes the head of the file (512 bytes is plenty) and never throws.
 */

function startsWith(head: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (head.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) {
    if (head[at + i] !== magic[i]) return false;
  }
  return true;
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

const LFS_PREFIXES = [
  ascii('version https://git-lfs.github.com/spec/'),
  // the pre-1.0 name of Git LFS
  ascii('version https://hawser.github.com/spec/'),
];

/**
 * A Git LFS pointer file: the small text file that Git stores in place of the content when the LFS
 * object was not downloaded (`git lfs pull` fetches it).
 */
export function isLfsPointer(head: Uint8Array): boolean {
  return LFS_PREFIXES.some((p) => startsWith(head, p));
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A PNG image (\x89PNG\r\n\x1a\n). */
export function isPng(head: Uint8Array): boolean {
  return startsWith(head, PNG);
}

const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/**
 * An HDF5 file (\x89HDF\r\n\x1a\n). The signature is at offset 0, or at 512, 1024, 2048, … when the
 * file has a user block; the offsets that fall inside `head` are checked.
 */
export function isHdf5(head: Uint8Array): boolean {
  if (startsWith(head, HDF5)) return true;
  for (let at = 512; at + HDF5.length <= head.length; at *= 2) {
    if (startsWith(head, HDF5, at)) return true;
  }
  return false;
}

/** A GGUF file (llama.cpp): the magic "GGUF". */
export function isGguf(head: Uint8Array): boolean {
  return startsWith(head, ascii('GGUF'));
}

/** A ZIP archive (Keras 3 `.keras`, PyTorch `.pt`): a local file header, or an empty archive. */
export function isZip(head: Uint8Array): boolean {
  return startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]);
}

/**
 * A safetensors file: an 8-byte little-endian header length, then the JSON header, which starts with
 * '{' followed (after any whitespace) by a key or '}'. Lengths of 2^40 bytes or more are not taken
 * for one (the format's own limit is 100 MB).
 */
export function isSafetensors(head: Uint8Array): boolean {
  if (head.length < 10 || head[8] !== 0x7b || head[5] || head[6] || head[7]) return false;
  for (let i = 9; i < head.length; i++) {
    const c = head[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x22 || c === 0x7d;
  }
  return false;
}

/**
 * A PyTorch file in the legacy format (`torch.save` before 1.6, or with
 * `_use_new_zipfile_serialization=False`): a pickle (protocol 2–5) whose first value is torch's magic
 * number 0x1950a86a20f9469cfc6c (LONG1 of 10 bytes).
 */
export function isLegacyTorch(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5 && startsWith(head, [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], 2);
}

/** A TFLite model: a FlatBuffer whose file identifier (bytes 4–8) is "TFL3". */
export function isTflite(head: Uint8Array): boolean {
  return startsWith(head, ascii('TFL3'), 4);
}
