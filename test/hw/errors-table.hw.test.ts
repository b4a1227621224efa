/**
 * The errors table, guest rows (test/hw/errors-table.rows.ts): in the QEMU rig, against real /dev/mem, UIO, PCI
 * sysfs and as a non-root user. Each row checks the class, code and exact message, that the failing call left
 * nothing open or mapped, and that the row's cleanup restored everything. docs/errors.md lists these rows with
 * the host ones (test/errors-table.test.ts).
 */
import { describe, it } from 'vitest';
import { checkRow } from '../helpers/errors-table.js';
import { guestContext, guestRows } from './errors-table.rows.js';

describe('errors table (guest rows): exact class, code and message; nothing left open or mapped', () => {
  it.each(guestRows.map((r, i) => [`${i + 1}. ${r.group}: ${r.condition}`, r] as const))('%s', async (_name, row) => {
    await checkRow(row, guestContext);
  });
});
