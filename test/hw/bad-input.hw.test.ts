import { describe, expect, it } from 'vitest';
import { openPci, openUio } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

describe('bad input on real sysfs and device files', () => {
  it('a UIO map index that does not exist', () => {
    const uio = openUio(findEduHardware().uio.number);
    try {
      expect(() => uio.map(3)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('it has: map0') }));
    } finally {
      uio.close();
    }
  });

  it('a UIO device that does not exist', () => {
    findEduHardware();
    expect(() => openUio('no-such-uio')).toThrow(expect.objectContaining({ code: 'ENOENT', message: expect.stringContaining('uio_pci_generic') }));
    expect(() => openUio(99)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('a BAR that does not exist', () => {
    const pci = openPci(findEduHardware().uioEdu.bdf);
    expect(() => pci.map(2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('BAR0') }));
    expect(() => pci.map(0, { offset: 0, size: 0x200000 })).toThrow(expect.objectContaining({ code: 'ENXIO' }));
  });

  it('a non-PCI path or unknown vendor:device', () => {
    findEduHardware();
    expect(() => openPci('/dev/null')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => openPci('dead:beef')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(openPci('1234:11e8').info.device).toBe(0x11e8);
  });

  it('write-combining on a non-prefetchable BAR', () => {
    const pci = openPci(findEduHardware().uioEdu.bdf);
    expect(() => pci.map(0, { wc: true })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
