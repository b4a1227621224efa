/**
 * The Identify data structures (NVM Express Base Specification, Identify command, CNS 0x01 "Identify Controller
 * data structure" and CNS 0x00 "Identify Namespace data structure" of the NVM command set), parsed into typed
 * objects. Byte offsets are the specification's; strings are ASCII padded with spaces (trimmed here).
 * @module
 */
import { argRangeError } from './errors.js';

/** Bytes of an Identify data structure. */
export const NVME_IDENTIFY_BYTES = 4096;

/** The Identify Controller data structure (CNS 0x01), the fields a driver uses. */
export interface NvmeIdentifyController {
  /** PCI Vendor ID (bytes 0..1). */
  vid: number;
  /** PCI Subsystem Vendor ID (2..3). */
  ssvid: number;
  /** Serial Number (4..23). */
  sn: string;
  /** Model Number (24..63). */
  mn: string;
  /** Firmware Revision (64..71). */
  fr: string;
  /** Recommended Arbitration Burst (72). */
  rab: number;
  /** IEEE OUI Identifier (73..75). */
  ieee: number;
  /** Controller Multi-Path I/O and Namespace Sharing Capabilities (76). */
  cmic: number;
  /**
   * Maximum Data Transfer Size (77): the largest transfer of one command is 2^MDTS units of the minimum memory
   * page size (CAP.MPSMIN); 0 = no limit.
   */
  mdts: number;
  /** Controller ID (78..79). */
  cntlid: number;
  /** Version (80..83): as the VS register. */
  ver: number;
  /** Optional Admin Command Support (256..257). */
  oacs: number;
  /** Abort Command Limit, 0-based (258). */
  acl: number;
  /** Asynchronous Event Request Limit, 0-based (259). */
  aerl: number;
  /** Submission Queue Entry Size (512): bits 3:0 required, 7:4 maximum, as powers of two. */
  sqes: number;
  /** Completion Queue Entry Size (513): bits 3:0 required, 7:4 maximum. */
  cqes: number;
  /** Maximum Outstanding Commands (514..515), 0 = not reported. */
  maxcmd: number;
  /** Number of Namespaces (516..519): the largest valid NSID. */
  nn: number;
  /** Optional NVM Command Support (520..521). */
  oncs: number;
  /** Volatile Write Cache (525). */
  vwc: number;
  /** NVM Subsystem NVMe Qualified Name (768..1023). */
  subnqn: string;
}

/** One LBA Format of a namespace (LBAF0..LBAF63, bytes 128 + 4n). */
export interface NvmeLbaFormat {
  /** Metadata Size in bytes per block (MS). */
  ms: number;
  /** LBA Data Size as a power of two (LBADS): the block size is 2^LBADS bytes. */
  lbads: number;
  /** Relative Performance (RP), 0 best. */
  rp: number;
}

/** The Identify Namespace data structure (CNS 0x00, NVM command set), the fields a driver uses. */
export interface NvmeIdentifyNamespace {
  /** The namespace identifier it was read for. */
  nsid: number;
  /** Namespace Size (0..7): blocks in the namespace. */
  nsze: bigint;
  /** Namespace Capacity (8..15): blocks that may be allocated. */
  ncap: bigint;
  /** Namespace Utilization (16..23): blocks allocated. */
  nuse: bigint;
  /** Namespace Features (24). */
  nsfeat: number;
  /** Number of LBA Formats, 0-based (25). */
  nlbaf: number;
  /** Formatted LBA Size (26): bits 3:0 (and 6:5 as the upper bits) select the LBA format, bit 4 extended metadata. */
  flbas: number;
  /** The index of the LBA format in use (from FLBAS). */
  lbaFormatIndex: number;
  /** The LBA formats the namespace supports (nlbaf + 1 of them). */
  lbaFormats: NvmeLbaFormat[];
  /** The block size of the format in use, in bytes: 2^LBADS of lbaFormats[lbaFormatIndex]. */
  blockSize: number;
  /** Metadata bytes per block of the format in use (0: none). */
  metadataSize: number;
  /** Namespace Globally Unique Identifier (104..119), hex. */
  nguid: string;
  /** IEEE Extended Unique Identifier (120..127), hex. */
  eui64: string;
}

function ascii(data: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(data[i]);
  return s.replace(/[\0 ]+$/, '');
}

function hex(data: Uint8Array, from: number, to: number): string {
  return Array.from(data.subarray(from, to), (b) => b.toString(16).padStart(2, '0')).join('');
}

function viewOf(data: Uint8Array): DataView {
  if (!(data instanceof Uint8Array) || data.byteLength < NVME_IDENTIFY_BYTES) {
    throw argRangeError('ERR_INVALID_ARG_VALUE', `an Identify data structure is a Uint8Array of ${NVME_IDENTIFY_BYTES} bytes`, `pass the ${NVME_IDENTIFY_BYTES}-byte buffer the Identify command's data went to`);
  }
  return new DataView(data.buffer, data.byteOffset, NVME_IDENTIFY_BYTES);
}

/** Parse the 4096-byte Identify Controller data structure. @throws RangeError `ERR_INVALID_ARG_VALUE` for a shorter buffer. */
export function parseIdentifyController(data: Uint8Array): NvmeIdentifyController {
  const v = viewOf(data);
  return {
    vid: v.getUint16(0, true),
    ssvid: v.getUint16(2, true),
    sn: ascii(data, 4, 24),
    mn: ascii(data, 24, 64),
    fr: ascii(data, 64, 72),
    rab: data[72],
    ieee: data[73] | (data[74] << 8) | (data[75] << 16),
    cmic: data[76],
    mdts: data[77],
    cntlid: v.getUint16(78, true),
    ver: v.getUint32(80, true),
    oacs: v.getUint16(256, true),
    acl: data[258],
    aerl: data[259],
    sqes: data[512],
    cqes: data[513],
    maxcmd: v.getUint16(514, true),
    nn: v.getUint32(516, true),
    oncs: v.getUint16(520, true),
    vwc: data[525],
    subnqn: ascii(data, 768, 1024),
  };
}

/** Parse the 4096-byte Identify Namespace data structure read for `nsid`. @throws RangeError `ERR_INVALID_ARG_VALUE` for a shorter buffer. */
export function parseIdentifyNamespace(nsid: number, data: Uint8Array): NvmeIdentifyNamespace {
  const v = viewOf(data);
  const nlbaf = data[25];
  const flbas = data[26];
  const lbaFormats: NvmeLbaFormat[] = [];
  for (let i = 0; i <= Math.min(nlbaf, 63); i++) {
    const dw = v.getUint32(128 + 4 * i, true);
    lbaFormats.push({ ms: dw & 0xffff, lbads: (dw >>> 16) & 0xff, rp: (dw >>> 24) & 3 });
  }
  const lbaFormatIndex = (flbas & 0xf) | (nlbaf > 15 ? ((flbas >>> 5) & 3) << 4 : 0);
  const format = lbaFormats[lbaFormatIndex] ?? { ms: 0, lbads: 0, rp: 0 };
  return {
    nsid,
    nsze: v.getBigUint64(0, true),
    ncap: v.getBigUint64(8, true),
    nuse: v.getBigUint64(16, true),
    nsfeat: data[24],
    nlbaf,
    flbas,
    lbaFormatIndex,
    lbaFormats,
    blockSize: format.lbads >= 9 && format.lbads < 31 ? 2 ** format.lbads : 0,
    metadataSize: format.ms,
    nguid: hex(data, 104, 120),
    eui64: hex(data, 120, 128),
  };
}
