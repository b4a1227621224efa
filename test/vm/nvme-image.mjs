#!/usr/bin/env node
// test/vm/nvme-image.mjs — the NVMe disk images of the guest rig (test/vm/run.sh --nvme) and their known pattern.
//
//   node test/vm/nvme-image.mjs create FILE BYTES         write FILE with the pattern (BYTES a multiple of 4096)
//   node test/vm/nvme-image.mjs check FILE [WRITES]       after the guest: every 4 KiB block holds the pattern,
//                                                         or, when WRITES lists it, the seed written there
//
// The pattern: 4 KiB blocks (independent of the controller's LBA size), each 1024 little-endian 32-bit words;
// word w of block b is `seed XOR (b << 10 | w)`, so every word of a 64 MiB image is distinct and a block read from
// the wrong place, or shifted, never compares equal. The image as the host writes it has seed ORIGINAL_SEED.
// WRITES (written by the guest test as it goes, one line "<block> <seed in hex>" per block it wrote, after the
// write completed; a later line for the same block wins) says which blocks hold which other seed.
// `check` exits 1 with the first mismatches listed; 2 on bad usage. The guest test imports the same functions.
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { argv, exit } from 'node:process';

/** Bytes in a pattern block (the unit of the pattern, not necessarily the controller's LBA size). */
export const PATTERN_BLOCK = 4096;
/** The seed of the image as the host creates it. */
export const ORIGINAL_SEED = 0x4e564d00; // "NVM\0"

/** Fills `out` (a multiple of 4096 bytes, 4-byte aligned) with the pattern of blocks `firstBlock`, `firstBlock + 1`, ... */
export function fillPattern(out, firstBlock, seed = ORIGINAL_SEED) {
  if (out.byteLength % PATTERN_BLOCK !== 0) throw new RangeError(`pattern buffers are whole 4 KiB blocks, not ${out.byteLength} bytes`);
  const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength / 4);
  for (let i = 0; i < words.length; i++) {
    const block = firstBlock + (i >>> 10);
    words[i] = (seed ^ ((block << 10) | (i & 1023))) >>> 0;
  }
  return out;
}

/** The pattern of `blocks` 4 KiB blocks from `firstBlock` as a new Uint8Array. */
export function pattern(firstBlock, blocks = 1, seed = ORIGINAL_SEED) {
  return fillPattern(new Uint8Array(blocks * PATTERN_BLOCK), firstBlock, seed);
}

/** The first word index where `data` differs from the pattern, or -1. */
export function firstMismatch(data, firstBlock, seed = ORIGINAL_SEED) {
  const want = pattern(firstBlock, data.byteLength / PATTERN_BLOCK, seed);
  const a = new Uint32Array(want.buffer);
  const b = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Reads the guest's list of written blocks: Map block -> seed (later lines win). */
export function readWrites(path) {
  const writes = new Map();
  if (!path || !existsSync(path)) return writes;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(\d+) (?:0x)?([0-9a-f]{1,8})$/i.exec(line.trim());
    if (!m) throw new Error(`${path}: not "<block> <seed>": ${JSON.stringify(line)}`);
    writes.set(Number(m[1]), parseInt(m[2], 16) >>> 0);
  }
  return writes;
}

const CHUNK_BLOCKS = 1024; // 4 MiB at a time

function create(file, bytes) {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PATTERN_BLOCK !== 0) usage(`BYTES must be a positive multiple of ${PATTERN_BLOCK}, not ${bytes}`);
  const fd = openSync(file, 'w');
  try {
    const buf = new Uint8Array(CHUNK_BLOCKS * PATTERN_BLOCK);
    for (let block = 0; block * PATTERN_BLOCK < bytes; block += CHUNK_BLOCKS) {
      const n = Math.min(CHUNK_BLOCKS, bytes / PATTERN_BLOCK - block);
      const part = buf.subarray(0, n * PATTERN_BLOCK);
      fillPattern(part, block);
      writeSync(fd, part, 0, part.byteLength, block * PATTERN_BLOCK);
    }
  } finally {
    closeSync(fd);
  }
}

function check(file, writesPath) {
  const writes = readWrites(writesPath);
  const fd = openSync(file, 'r');
  const bad = [];
  let blocks = 0;
  let written = 0;
  try {
    const buf = new Uint8Array(PATTERN_BLOCK);
    for (;;) {
      const n = readSync(fd, buf, 0, PATTERN_BLOCK, blocks * PATTERN_BLOCK);
      if (n === 0) break;
      if (n !== PATTERN_BLOCK) {
        bad.push(`block ${blocks}: a short block of ${n} bytes at the end of the image`);
        break;
      }
      const seed = writes.get(blocks) ?? ORIGINAL_SEED;
      if (writes.has(blocks)) written++;
      const at = firstMismatch(buf, blocks, seed);
      if (at >= 0) {
        const got = new DataView(buf.buffer).getUint32(at * 4, true);
        const what = writes.has(blocks) ? `written with seed 0x${seed.toString(16)}` : 'never written (original pattern)';
        bad.push(`block ${blocks} (${what}): word ${at} is 0x${got.toString(16)}, expected 0x${((seed ^ ((blocks << 10) | at)) >>> 0).toString(16)}`);
      }
      blocks++;
    }
  } finally {
    closeSync(fd);
  }
  for (const b of writes.keys()) if (b >= blocks) bad.push(`block ${b} is listed as written but lies beyond the image (${blocks} blocks)`);
  if (bad.length > 0) {
    console.error(`nvme-image: ${file}: ${bad.length} block(s) wrong of ${blocks}:`);
    for (const line of bad.slice(0, 10)) console.error(`  ${line}`);
    if (bad.length > 10) console.error(`  ... and ${bad.length - 10} more`);
    exit(1);
  }
  console.error(`nvme-image: ${file}: ${blocks} blocks of 4 KiB as expected (${written} written by the guest, ${blocks - written} unchanged)`);
}

function usage(why) {
  console.error(`nvme-image: ${why}\nusage: nvme-image.mjs create FILE BYTES | check FILE [WRITES]`);
  exit(2);
}

if (import.meta.url === new URL(`file://${argv[1]}`).href) {
  const [cmd, file, arg] = argv.slice(2);
  if (cmd === 'create' && file && arg) create(file, Number(arg));
  else if (cmd === 'check' && file) check(file, arg);
  else usage('bad arguments');
}
