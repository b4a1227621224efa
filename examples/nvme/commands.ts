/**
 * NVMe submission and completion queue entries as typed structures (NVM Express Base Specification, "Submission
 * Queue Entry – Command Format" and "Completion Queue Entry"), with encode and decode over a DataView, and the
 * opcodes used here. All fields are little-endian.
 *
 * Submission queue entry (64 bytes): CDW0 = OPC (bits 7:0), FUSE (9:8), PSDT (15:14), CID (31:16); NSID (bytes
 * 4..7); CDW2, CDW3; MPTR (16..23); DPTR = PRP1 (24..31), PRP2 (32..39); CDW10..CDW15 (40..63).
 * Completion queue entry (16 bytes): DW0 (command specific), DW1, SQHD (8..9), SQID (10..11), CID (12..13),
 * and the status field (14..15): P phase tag (bit 0), SC (8:1), SCT (11:9), CRD (13:12), M (14), DNR (15).
 * @module
 */

/** Bytes in a submission queue entry (CC.IOSQES = 6). */
export const NVME_SQE_BYTES = 64;
/** Bytes in a completion queue entry (CC.IOCQES = 4). */
export const NVME_CQE_BYTES = 16;

/** Admin command opcodes. */
export const NvmeAdminOpcode = {
  DELETE_IO_SQ: 0x00,
  CREATE_IO_SQ: 0x01,
  GET_LOG_PAGE: 0x02,
  DELETE_IO_CQ: 0x04,
  CREATE_IO_CQ: 0x05,
  IDENTIFY: 0x06,
  ABORT: 0x08,
  SET_FEATURES: 0x09,
  GET_FEATURES: 0x0a,
} as const;

/** NVM command set I/O opcodes. */
export const NvmeIoOpcode = {
  FLUSH: 0x00,
  WRITE: 0x01,
  READ: 0x02,
} as const;

/** Identify's Controller or Namespace Structure (CNS, CDW10 bits 7:0). */
export const NvmeIdentifyCns = {
  /** Identify Namespace data structure for NSID. */
  NAMESPACE: 0x00,
  /** Identify Controller data structure. */
  CONTROLLER: 0x01,
  /** Active Namespace ID list (NSIDs above NSID). */
  ACTIVE_NAMESPACES: 0x02,
} as const;

/** Feature identifiers (Set/Get Features CDW10 bits 7:0) used here. */
export const NvmeFeature = {
  /** Number of Queues: CDW11 = NCQR (31:16) | NSQR (15:0), both 0-based; DW0 of the completion = what was allocated. */
  NUMBER_OF_QUEUES: 0x07,
} as const;

/** A submission queue entry. Absent fields are 0. */
export interface NvmeCommand {
  /** Opcode (OPC). */
  opcode: number;
  /** Command Identifier (CID), 16 bits: unique among the commands outstanding on its submission queue. */
  cid: number;
  /** Fused Operation (FUSE), 2 bits. */
  fuse?: number;
  /** PRP or SGL for Data Transfer (PSDT), 2 bits: 0 = PRPs. */
  psdt?: number;
  /** Namespace Identifier (NSID). */
  nsid?: number;
  /** Command Dword 2 (command specific; reserved in most commands). */
  cdw2?: number;
  /** Command Dword 3 (command specific; reserved in most commands). */
  cdw3?: number;
  /** Metadata Pointer (MPTR). */
  mptr?: bigint;
  /** PRP Entry 1: the first data page (may carry an offset). */
  prp1?: bigint;
  /** PRP Entry 2: the second page, or the address of a PRP list. */
  prp2?: bigint;
  /** Command Dword 10 (command specific: e.g. Identify CNS, Read/Write SLBA bits 31:0, the Set Features FID). */
  cdw10?: number;
  /** Command Dword 11 (command specific: e.g. Read/Write SLBA bits 63:32, a feature's value). */
  cdw11?: number;
  /** Command Dword 12 (command specific: e.g. Read/Write NLB, the 0-based block count, in bits 15:0). */
  cdw12?: number;
  /** Command Dword 13 (command specific). */
  cdw13?: number;
  /** Command Dword 14 (command specific). */
  cdw14?: number;
  /** Command Dword 15 (command specific). */
  cdw15?: number;
}

/** The status field of a completion queue entry, decoded. */
export interface NvmeStatusField {
  /** Status Code Type (SCT): 0 generic, 1 command specific, 2 media and data integrity, 3 path related, 7 vendor. */
  sct: number;
  /** Status Code (SC). */
  sc: number;
  /** Command Retry Delay (CRD). */
  crd: number;
  /** More (M): more status in the Error Information log page. */
  more: boolean;
  /** Do Not Retry (DNR). */
  dnr: boolean;
}

/** A completion queue entry. */
export interface NvmeCompletion extends NvmeStatusField {
  /** DW0: command specific (Set Features Number of Queues: what was allocated). */
  dw0: number;
  /** DW1: command specific. */
  dw1: number;
  /** SQ Head Pointer (SQHD): the controller's head of the submission queue when it posted this entry. */
  sqhd: number;
  /** SQ Identifier (SQID) of the command's submission queue. */
  sqid: number;
  /** Command Identifier (CID) of the completed command. */
  cid: number;
  /** Phase Tag (P): inverted by the controller each pass through the queue. */
  phase: number;
}

const u32 = (v: number | undefined): number => (v ?? 0) >>> 0;

/**
 * Write `cmd` as a 64-byte submission queue entry at byte `offset` of `view`.
 * @throws RangeError (from DataView) when the entry does not fit.
 */
export function encodeCommand(view: DataView, offset: number, cmd: NvmeCommand): void {
  const cdw0 = (cmd.opcode & 0xff) | ((u32(cmd.fuse) & 3) << 8) | ((u32(cmd.psdt) & 3) << 14) | ((cmd.cid & 0xffff) << 16);
  view.setUint32(offset, cdw0 >>> 0, true);
  view.setUint32(offset + 4, u32(cmd.nsid), true);
  view.setUint32(offset + 8, u32(cmd.cdw2), true);
  view.setUint32(offset + 12, u32(cmd.cdw3), true);
  view.setBigUint64(offset + 16, cmd.mptr ?? 0n, true);
  view.setBigUint64(offset + 24, cmd.prp1 ?? 0n, true);
  view.setBigUint64(offset + 32, cmd.prp2 ?? 0n, true);
  view.setUint32(offset + 40, u32(cmd.cdw10), true);
  view.setUint32(offset + 44, u32(cmd.cdw11), true);
  view.setUint32(offset + 48, u32(cmd.cdw12), true);
  view.setUint32(offset + 52, u32(cmd.cdw13), true);
  view.setUint32(offset + 56, u32(cmd.cdw14), true);
  view.setUint32(offset + 60, u32(cmd.cdw15), true);
}

/** Read the 64-byte submission queue entry at byte `offset` of `view` (the controller's side). */
export function decodeCommand(view: DataView, offset: number): Required<NvmeCommand> {
  const cdw0 = view.getUint32(offset, true);
  return {
    opcode: cdw0 & 0xff,
    fuse: (cdw0 >>> 8) & 3,
    psdt: (cdw0 >>> 14) & 3,
    cid: cdw0 >>> 16,
    nsid: view.getUint32(offset + 4, true),
    cdw2: view.getUint32(offset + 8, true),
    cdw3: view.getUint32(offset + 12, true),
    mptr: view.getBigUint64(offset + 16, true),
    prp1: view.getBigUint64(offset + 24, true),
    prp2: view.getBigUint64(offset + 32, true),
    cdw10: view.getUint32(offset + 40, true),
    cdw11: view.getUint32(offset + 44, true),
    cdw12: view.getUint32(offset + 48, true),
    cdw13: view.getUint32(offset + 52, true),
    cdw14: view.getUint32(offset + 56, true),
    cdw15: view.getUint32(offset + 60, true),
  };
}

/** Decode a 16-bit completion status field (bits 15:1; bit 0 is the phase tag). */
export function decodeStatusField(status: number): NvmeStatusField {
  return {
    sc: (status >>> 1) & 0xff,
    sct: (status >>> 9) & 7,
    crd: (status >>> 12) & 3,
    more: ((status >>> 14) & 1) === 1,
    dnr: ((status >>> 15) & 1) === 1,
  };
}

/**
 * A completion queue entry from its four dwords (as read from the queue: the driver reads dword 3, with the phase
 * tag, first and atomically): dword 2 holds SQHD and SQID, dword 3 the CID and the status field with the phase.
 */
export function completionFromDwords(dw0: number, dw1: number, dw2: number, dw3: number): NvmeCompletion {
  const status = dw3 >>> 16;
  return { dw0: dw0 >>> 0, dw1: dw1 >>> 0, sqhd: dw2 & 0xffff, sqid: dw2 >>> 16, cid: dw3 & 0xffff, phase: status & 1, ...decodeStatusField(status) };
}

/** Read the 16-byte completion queue entry at byte `offset` of `view`. */
export function decodeCompletion(view: DataView, offset: number): NvmeCompletion {
  const dw = (i: number): number => view.getUint32(offset + 4 * i, true);
  return completionFromDwords(dw(0), dw(1), dw(2), dw(3));
}

/** A completion to post (the controller's side); status fields absent are 0 (success), `more`/`dnr` false. */
export interface NvmeCompletionInput {
  /** DW0, command specific (default 0). */
  dw0?: number;
  /** DW1, command specific (default 0). */
  dw1?: number;
  /** SQ Head Pointer: the controller's submission queue head. */
  sqhd: number;
  /** SQ Identifier of the completed command. */
  sqid: number;
  /** Command Identifier of the completed command. */
  cid: number;
  /** Phase Tag to post (0 or 1). */
  phase: number;
  /** Status Code Type (default 0, generic). */
  sct?: number;
  /** Status Code (default 0, success). */
  sc?: number;
  /** Command Retry Delay index, 0..3 (default 0). */
  crd?: number;
  /** More status in the Error Information log page (default false). */
  more?: boolean;
  /** Do Not Retry (default false). */
  dnr?: boolean;
}

/**
 * Write a 16-byte completion queue entry into `out` (16 bytes); the status word (with the phase tag) is bytes
 * 14..15, so a controller that copies `out` in one transfer makes the phase tag visible with the rest.
 */
export function encodeCompletion(out: Uint8Array, c: NvmeCompletionInput): void {
  const view = new DataView(out.buffer, out.byteOffset, NVME_CQE_BYTES);
  view.setUint32(0, u32(c.dw0), true);
  view.setUint32(4, u32(c.dw1), true);
  view.setUint16(8, c.sqhd & 0xffff, true);
  view.setUint16(10, c.sqid & 0xffff, true);
  view.setUint16(12, c.cid & 0xffff, true);
  const status =
    (c.phase & 1) | ((u32(c.sc) & 0xff) << 1) | ((u32(c.sct) & 7) << 9) | ((u32(c.crd) & 3) << 12) | ((c.more ? 1 : 0) << 14) | ((c.dnr ? 1 : 0) << 15);
  view.setUint16(14, status, true);
}
