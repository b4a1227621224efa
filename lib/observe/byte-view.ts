/**
 * A Buffer view of a Uint8Array's bytes, for the DMA recorder's and replay's buffer comparisons (`equals`: one
 * memcmp instead of a byte loop). Internal: its type names Node's Buffer, which no public declaration may (a
 * consumer of the package's types need not have @types/node).
 * @module
 */

/** `a`'s bytes as a Buffer (no copy). */
export const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
