/**
 * The simulated controller's Identify data structures (layouts as identify.ts parses them, NVM Express Base
 * Specification and NVM Command Set Specification): what a controller answers to Identify CNS 0x01, 0x00 and 0x02.
 * @module
 */
import { NVME_IDENTIFY_BYTES } from './identify.js';

/** What the simulated controller says about itself. */
export interface SimIdentity {
  vid: number;
  ssvid: number;
  serial: string;
  model: string;
  firmware: string;
  mdts: number;
  version: number;
  nn: number;
}

function putAscii(out: Uint8Array, from: number, to: number, text: string): void {
  out.fill(0x20, from, to);
  for (let i = 0; i < text.length && from + i < to; i++) out[from + i] = text.charCodeAt(i) & 0x7f;
}

/** Identify Controller (CNS 0x01). */
export function identifyControllerData(id: SimIdentity): Uint8Array {
  const out = new Uint8Array(NVME_IDENTIFY_BYTES);
  const v = new DataView(out.buffer);
  v.setUint16(0, id.vid, true);
  v.setUint16(2, id.ssvid, true);
  putAscii(out, 4, 24, id.serial);
  putAscii(out, 24, 64, id.model);
  putAscii(out, 64, 72, id.firmware);
  out[72] = 6; // RAB
  out[73] = 0x00; // IEEE OUI 52:54:00 (QEMU's), little-endian
  out[74] = 0x54;
  out[75] = 0x52;
  out[77] = id.mdts;
  v.setUint16(78, 0, true); // CNTLID
  v.setUint32(80, id.version, true);
  out[258] = 3; // ACL
  out[259] = 3; // AERL
  out[512] = 0x66; // SQES: 64 bytes required and maximum
  out[513] = 0x44; // CQES: 16 bytes
  v.setUint16(514, 0, true); // MAXCMD not reported
  v.setUint32(516, id.nn, true);
  putAscii(out, 768, 1024, `nqn.2026-12.io.mmio:sim-nvme:${id.serial}`);
  out.fill(0, 768 + `nqn.2026-12.io.mmio:sim-nvme:${id.serial}`.length, 1024); // SUBNQN is NUL padded
  return out;
}

/** Identify Namespace (CNS 0x00) of an active namespace: two LBA formats (512 and 4096 bytes, no metadata). */
export function identifyNamespaceData(blocks: number, blockSize: 512 | 4096, nsid: number): Uint8Array {
  const out = new Uint8Array(NVME_IDENTIFY_BYTES);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(blocks), true); // NSZE
  v.setBigUint64(8, BigInt(blocks), true); // NCAP
  v.setBigUint64(16, BigInt(blocks), true); // NUSE: a RAM disk has every block allocated
  out[25] = 1; // NLBAF: two formats, 0-based
  out[26] = blockSize === 512 ? 0 : 1; // FLBAS: the format in use
  v.setUint32(128, 9 << 16, true); // LBAF0: LBADS 9 (512 bytes), MS 0
  v.setUint32(132, (12 << 16) | (1 << 24), true); // LBAF1: LBADS 12 (4096 bytes), RP 1
  for (let i = 0; i < 16; i++) out[104 + i] = (0x10 + i + nsid) & 0xff; // NGUID
  for (let i = 0; i < 8; i++) out[120 + i] = (0xe0 + i + nsid) & 0xff; // EUI64
  return out;
}

/** Active Namespace ID list (CNS 0x02): the active NSIDs above `after`, ascending, 0-terminated. */
export function activeNamespaceList(active: number[], after: number): Uint8Array {
  const out = new Uint8Array(NVME_IDENTIFY_BYTES);
  const v = new DataView(out.buffer);
  let i = 0;
  for (const nsid of active) if (nsid > after && i < 1024) v.setUint32(4 * i++, nsid, true);
  return out;
}
