/**
 * Blink GPIO 17 on a Raspberry Pi 4, or on its simulated twin:
 *   node dist/examples/rpi4-gpio/run.js --sim     anywhere (CI, a laptop)
 *   node dist/examples/rpi4-gpio/run.js           on the Pi (a member of group gpio: /dev/gpiomem, no root)
 * The driver is the same; only where the region comes from differs (the one-line change).
 * @module
 */
import { mapFile, type IoRegion } from '../../lib/index.js';
import { Bcm2711Gpio } from './driver.js';
import { BCM2711_GPIOMEM, BCM2711_GPIO_SIZE } from './regmap.js';
import { createSimBcm2711Gpio } from './sim.js';

const PIN = 17;
const sim = process.argv.includes('--sim');
const region: IoRegion = sim ? createSimBcm2711Gpio().region : mapFile(BCM2711_GPIOMEM, 0, BCM2711_GPIO_SIZE);
try {
  const gpio = new Bcm2711Gpio(region);
  gpio.setFunction(PIN, 'OUTPUT');
  for (let i = 0; i < 3; i++) {
    gpio.write(PIN, true);
    console.log(`GPIO${PIN} high: reads ${gpio.read(PIN) ? 1 : 0}`);
    await new Promise((r) => setTimeout(r, 200));
    gpio.write(PIN, false);
    console.log(`GPIO${PIN} low: reads ${gpio.read(PIN) ? 1 : 0}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  gpio.setFunction(PIN, 'INPUT');
} finally {
  region.iounmap();
}
