/**
 * Physical Region Page entries for a data buffer (NVM Express Base Specification, "Physical Region Page Entry and
 * List"): PRP1 points at the first memory page of the transfer (it may carry an offset); for a transfer that ends
 * in the second page, PRP2 points at that page; for more, PRP2 points at a PRP list: one 8-byte entry per further
 * page, page aligned, and when the list does not fit in one page the last entry of each list page points at the
 * next list page.
 *
 * Here every data buffer is one DMA allocation, contiguous in bus addresses and page aligned, so the entries are
 * consecutive pages; the list is still built entry by entry, as a controller reads it.
 * @module
 */
import { argRangeError } from './errors.js';

/** The PRP entries of one command. */
export interface Prps {
  prp1: bigint;
  prp2: bigint;
}

/** Memory pages a page-aligned transfer of `bytes` touches. */
export function prpPageCount(bytes: number, pageSize: number): number {
  return Math.ceil(bytes / pageSize);
}

/** PRP list pages needed for `entries` list entries (page size `pageSize`, 8 bytes an entry). */
export function prpListPages(entries: number, pageSize: number): number {
  const perPage = pageSize / 8;
  let pages = 1;
  let left = entries;
  while (left > perPage) {
    left -= perPage - 1; // the last slot of a full list page chains to the next
    pages++;
  }
  return entries === 0 ? 0 : pages;
}

/**
 * The PRP entries of a transfer of `bytes` from bus address `data` (page aligned, contiguous).
 * @param list the PRP list memory (its CPU view and bus address), page aligned, at least
 *   {@link prpListPages}(pages - 1) pages; unused when the transfer touches at most two pages
 * @throws RangeError `ERR_OUT_OF_RANGE` when the list memory is too small
 */
export function buildPrps(data: bigint, bytes: number, pageSize: number, list?: { cpu: Uint8Array; dma_handle: bigint }): Prps {
  const pages = prpPageCount(bytes, pageSize);
  const page = BigInt(pageSize);
  if (pages <= 1) return { prp1: data, prp2: 0n };
  if (pages === 2) return { prp1: data, prp2: data + page };
  const entries = pages - 1;
  const listPages = prpListPages(entries, pageSize);
  if (list === undefined || list.cpu.byteLength < listPages * pageSize) {
    throw argRangeError('ERR_OUT_OF_RANGE', `a transfer of ${pages} pages needs ${listPages} PRP list page(s)`, `pass list memory of at least ${listPages * pageSize} bytes (prpListPages(pages - 1) pages) for a transfer of more than two pages`);
  }
  const view = new DataView(list.cpu.buffer, list.cpu.byteOffset, listPages * pageSize);
  const perPage = pageSize / 8;
  let slot = 0; // entry index across the list pages
  for (let i = 1; i < pages; i++) {
    const inPage = slot % perPage;
    const remaining = pages - i;
    if (inPage === perPage - 1 && remaining > 1) {
      // last slot of this list page, more than one entry to go: chain to the next list page
      view.setBigUint64(slot * 8, list.dma_handle + BigInt((slot + 1) / perPage) * page, true);
      slot++;
    }
    view.setBigUint64(slot * 8, data + BigInt(i) * page, true);
    slot++;
  }
  return { prp1: data, prp2: list.dma_handle };
}
