/**
 * Blink GPIO 17 on a Raspberry Pi 5 (RP1), or on its simulated twin:
 *   node dist/examples/rpi5-gpio/run.js --sim     anywhere (CI, a laptop)
 *   node dist/examples/rpi5-gpio/run.js           on the Pi 5 (group gpio: /dev/gpiomem0, no root)
 * Only where the region comes from differs. The mapping is the whole 0x30000 window from offset 0: rpi-gpiomem
 * ignores the offset and refuses shorter mappings; the Pi 5 kernel's 16 KiB pages need nothing more.
 * @module
 */
import { mapFile, type IoRegion } from '../../lib/index.js';
import { Rp1Gpio } from './driver.js';
import { RP1_GPIOMEM, RP1_GPIO_WINDOW } from './regmap.js';
import { createSimRp1Gpio } from './sim.js';

const PIN = 17;
const sim = process.argv.includes('--sim');
const region: IoRegion = sim ? createSimRp1Gpio().region : mapFile(RP1_GPIOMEM, 0, RP1_GPIO_WINDOW);
try {
  const gpio = new Rp1Gpio(region);
  gpio.setOutput(PIN);
  for (let i = 0; i < 6; i++) {
    gpio.toggle(PIN);
    console.log(`GPIO${PIN} ${gpio.read(PIN) ? 'high' : 'low'}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  gpio.setInput(PIN);
} finally {
  region.iounmap();
}
