/**
 * NVMe completion status codes with the specification's names (NVM Express Base Specification, "Status Field
 * Definition"; the NVM Command Set Specification for the 0x80.. codes of the NVM command set), and
 * {@link NvmeStatusError}, the error a command that completes with a non-zero status rejects with.
 * @module
 */
import type { NvmeStatusField } from './commands.js';

/** Status Code Type (SCT) values. */
export const NvmeStatusCodeType = {
  GENERIC: 0,
  COMMAND_SPECIFIC: 1,
  MEDIA_AND_DATA_INTEGRITY: 2,
  PATH_RELATED: 3,
  VENDOR_SPECIFIC: 7,
} as const;

/** Names of the Status Code Types. */
export const NVME_SCT_NAMES: Readonly<Record<number, string>> = {
  0: 'Generic Command Status',
  1: 'Command Specific Status',
  2: 'Media and Data Integrity Errors',
  3: 'Path Related Status',
  7: 'Vendor Specific',
};

/** Generic Command Status (SCT 0) codes used by the driver and the simulated controller, by constant name. */
export const NvmeGenericStatus = {
  SUCCESS: 0x00,
  INVALID_OPCODE: 0x01,
  INVALID_FIELD: 0x02,
  CID_CONFLICT: 0x03,
  DATA_TRANSFER_ERROR: 0x04,
  INTERNAL_ERROR: 0x06,
  ABORT_REQUESTED: 0x07,
  ABORT_SQ_DELETION: 0x08,
  INVALID_NAMESPACE_OR_FORMAT: 0x0b,
  COMMAND_SEQUENCE_ERROR: 0x0c,
  PRP_OFFSET_INVALID: 0x13,
  LBA_OUT_OF_RANGE: 0x80,
  CAPACITY_EXCEEDED: 0x81,
  NAMESPACE_NOT_READY: 0x82,
} as const;

/** Command Specific Status (SCT 1) codes used here. */
export const NvmeCommandSpecificStatus = {
  COMPLETION_QUEUE_INVALID: 0x00,
  INVALID_QUEUE_IDENTIFIER: 0x01,
  INVALID_QUEUE_SIZE: 0x02,
  INVALID_INTERRUPT_VECTOR: 0x08,
  INVALID_QUEUE_DELETION: 0x0c,
} as const;

const GENERIC: Record<number, string> = {
  0x00: 'Successful Completion',
  0x01: 'Invalid Command Opcode',
  0x02: 'Invalid Field in Command',
  0x03: 'Command ID Conflict',
  0x04: 'Data Transfer Error',
  0x05: 'Commands Aborted due to Power Loss Notification',
  0x06: 'Internal Error',
  0x07: 'Command Abort Requested',
  0x08: 'Command Aborted due to SQ Deletion',
  0x09: 'Command Aborted due to Failed Fused Command',
  0x0a: 'Command Aborted due to Missing Fused Command',
  0x0b: 'Invalid Namespace or Format',
  0x0c: 'Command Sequence Error',
  0x0d: 'Invalid SGL Segment Descriptor',
  0x0e: 'Invalid Number of SGL Descriptors',
  0x0f: 'Data SGL Length Invalid',
  0x10: 'Metadata SGL Length Invalid',
  0x11: 'SGL Descriptor Type Invalid',
  0x12: 'Invalid Use of Controller Memory Buffer',
  0x13: 'PRP Offset Invalid',
  0x14: 'Atomic Write Unit Exceeded',
  0x15: 'Operation Denied',
  0x16: 'SGL Offset Invalid',
  0x18: 'Host Identifier Inconsistent Format',
  0x19: 'Keep Alive Timer Expired',
  0x1a: 'Keep Alive Timeout Invalid',
  0x1b: 'Command Aborted due to Preempt and Abort',
  0x1c: 'Sanitize Failed',
  0x1d: 'Sanitize In Progress',
  0x1e: 'SGL Data Block Granularity Invalid',
  0x1f: 'Command Not Supported for Queue in CMB',
  0x20: 'Namespace is Write Protected',
  0x21: 'Command Interrupted',
  0x22: 'Transient Transport Error',
  0x80: 'LBA Out of Range',
  0x81: 'Capacity Exceeded',
  0x82: 'Namespace Not Ready',
  0x83: 'Reservation Conflict',
  0x84: 'Format In Progress',
};

const COMMAND_SPECIFIC: Record<number, string> = {
  0x00: 'Completion Queue Invalid',
  0x01: 'Invalid Queue Identifier',
  0x02: 'Invalid Queue Size',
  0x03: 'Abort Command Limit Exceeded',
  0x05: 'Asynchronous Event Request Limit Exceeded',
  0x06: 'Invalid Firmware Slot',
  0x07: 'Invalid Firmware Image',
  0x08: 'Invalid Interrupt Vector',
  0x09: 'Invalid Log Page',
  0x0a: 'Invalid Format',
  0x0b: 'Firmware Activation Requires Conventional Reset',
  0x0c: 'Invalid Queue Deletion',
  0x0d: 'Feature Identifier Not Saveable',
  0x0e: 'Feature Not Changeable',
  0x0f: 'Feature Not Namespace Specific',
  0x10: 'Firmware Activation Requires NVM Subsystem Reset',
  0x11: 'Firmware Activation Requires Controller Level Reset',
  0x12: 'Firmware Activation Requires Maximum Time Violation',
  0x13: 'Firmware Activation Prohibited',
  0x14: 'Overlapping Range',
  0x15: 'Namespace Insufficient Capacity',
  0x16: 'Namespace Identifier Unavailable',
  0x18: 'Namespace Already Attached',
  0x19: 'Namespace Is Private',
  0x1a: 'Namespace Not Attached',
  0x1b: 'Thin Provisioning Not Supported',
  0x1c: 'Controller List Invalid',
  0x80: 'Conflicting Attributes',
  0x81: 'Invalid Protection Information',
  0x82: 'Attempted Write to Read Only Range',
};

const MEDIA: Record<number, string> = {
  0x80: 'Write Fault',
  0x81: 'Unrecovered Read Error',
  0x82: 'End-to-end Guard Check Error',
  0x83: 'End-to-end Application Tag Check Error',
  0x84: 'End-to-end Reference Tag Check Error',
  0x85: 'Compare Failure',
  0x86: 'Access Denied',
  0x87: 'Deallocated or Unwritten Logical Block',
};

const PATH: Record<number, string> = {
  0x00: 'Internal Path Error',
  0x01: 'Asymmetric Access Persistent Loss',
  0x02: 'Asymmetric Access Inaccessible',
  0x03: 'Asymmetric Access Transition',
  0x60: 'Controller Pathing Error',
  0x70: 'Host Pathing Error',
  0x71: 'Command Aborted By Host',
};

const BY_TYPE: Record<number, Record<number, string>> = { 0: GENERIC, 1: COMMAND_SPECIFIC, 2: MEDIA, 3: PATH };

/**
 * The specification's name of a status: `nvmeStatusName(0, 0x80)` is `'LBA Out of Range'`. Codes the table does
 * not know are named by type and number (`'Vendor Specific 0xc1'`, `'Command Specific Status 0x42'`).
 */
export function nvmeStatusName(sct: number, sc: number): string {
  const known = BY_TYPE[sct]?.[sc];
  if (known !== undefined) return known;
  return `${NVME_SCT_NAMES[sct] ?? `Status Code Type ${sct}`} 0x${sc.toString(16).padStart(2, '0')}`;
}

/**
 * A command completed with a non-zero status. `code` is `'ERR_NVME_STATUS'`; `name` is the specification's
 * name of the status (`'LBA Out of Range'`), `sct`/`sc` its numbers; `dnr` says retrying will not help.
 */
export class NvmeStatusError extends Error {
  /** Always `'ERR_NVME_STATUS'`. */
  readonly code = 'ERR_NVME_STATUS';
  /** Status Code Type. */
  readonly sct: number;
  /** Status Code. */
  readonly sc: number;
  /** Do Not Retry. */
  readonly dnr: boolean;
  /** More status information in the Error Information log page. */
  readonly more: boolean;
  /** Command Retry Delay. */
  readonly crd: number;
  /** Which command failed, e.g. `'Read'`, `'Create I/O Completion Queue'`. */
  readonly command: string;
  /** The queue (SQID) and command identifier of the failed command. */
  readonly sqid: number;
  readonly cid: number;
  /**
   * What to do, from the status's own retry fields: DNR set, do not retry (the command is wrong for this namespace or
   * controller); clear, a retry may succeed (after CRD's delay); MORE set, the Error Information log has details.
   */
  readonly hint: string;

  /**
   * @param status the completion's status field
   * @param command the command's name (for the message)
   * @param where `sqid`, `cid` of the failed command, and `detail`: what the command was about (e.g. `nsid 1, lba 9, 8 blocks`)
   */
  constructor(status: NvmeStatusField, command: string, where: { sqid: number; cid: number; detail?: string }) {
    const name = nvmeStatusName(status.sct, status.sc);
    const hex = `SCT 0x${status.sct.toString(16)}, SC 0x${status.sc.toString(16).padStart(2, '0')}`;
    const about = where.detail === undefined ? '' : ` (${where.detail})`;
    super(`${command}${about} failed: ${name} [${hex}${status.dnr ? ', DNR' : ''}]`);
    this.name = name;
    this.sct = status.sct;
    this.sc = status.sc;
    this.dnr = status.dnr;
    this.more = status.more;
    this.crd = status.crd;
    this.command = command;
    this.sqid = where.sqid;
    this.cid = where.cid;
    const retry = status.dnr
      ? 'the controller says not to retry (DNR): change the command (its LBA range, namespace or fields)'
      : `a retry may succeed${status.crd > 0 ? ` after Command Retry Delay ${status.crd}` : ''}`;
    this.hint = status.more ? `${retry}; the Error Information log page (Get Log Page 0x01) has more` : retry;
  }
}
