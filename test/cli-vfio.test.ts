import { describe, expect, it } from 'vitest';
import { parseTarget } from '../cli/targets.js';

describe('CLI VFIO targets', () => {
  it('parses vfio:<bdf>:barN and vfio:<vendor:device>:barN with an offset', () => {
    expect(parseTarget('vfio:0000:00:06.0:bar0+0x8')).toMatchObject({ kind: 'vfio', selector: '0000:00:06.0', bar: 0, offset: 8n, name: 'vfio:0000:00:06.0:bar0' });
    expect(parseTarget('vfio:1234:11E8:bar2')).toMatchObject({ kind: 'vfio', selector: '1234:11e8', bar: 2, offset: 0n });
    expect(parseTarget('vfio:00:06.0:bar0+0-0x7f', { region: true })).toMatchObject({ kind: 'vfio', selector: '00:06.0', length: 0x80n });
  });

  it('refuses malformed VFIO targets with a usage hint', () => {
    for (const bad of ['vfio:', 'vfio:zz:bar0', 'vfio:0000:00:06.0', 'vfio:0000:00:06.0:map0']) {
      expect(() => parseTarget(bad), bad).toThrow(/not a VFIO target/);
    }
  });
});
