/** IEEE CRC-32 table (reflected polynomial 0xEDB88320), built once at load. */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Standard IEEE CRC-32 (as in zlib, PNG and gzip) of `bytes`, as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  // An indexed loop: about twice as fast as for...of here, and this runs on every key verification.
  for (let i = 0; i < bytes.length; i++) {
    // Both lookups are in bounds (i < length; the index is masked to 8 bits), so neither is undefined.
    crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
