/**
 * Blink BeagleBone Black's USR3 LED (GPIO1_24), or its simulated twin:
 *   node dist/examples/bbb-gpio/run.js --sim     anywhere (CI, a laptop)
 *   sudo node dist/examples/bbb-gpio/run.js      on the board (/dev/mem: root). First take the LED from its
 *                                                kernel trigger: echo none | sudo tee /sys/class/leds/beaglebone:green:usr3/trigger
 * Only where the region comes from differs.
 * @module
 */
import { ioremap, type IoRegion } from '../../lib/index.js';
import { Am335xGpio } from './driver.js';
import { AM335X_GPIO1_PHYS, AM335X_GPIO_SIZE, USR_LEDS } from './regmap.js';
import { createSimAm335xGpio } from './sim.js';

const USR3 = USR_LEDS[3];
const sim = process.argv.includes('--sim');
const region: IoRegion = sim ? createSimAm335xGpio().region : ioremap(AM335X_GPIO1_PHYS, AM335X_GPIO_SIZE);
try {
  const gpio = new Am335xGpio(region);
  console.log(`GPIO1 revision 0x${gpio.revision().toString(16)}`);
  gpio.setDirection(USR3, 'out');
  for (let i = 0; i < 3; i++) {
    gpio.write(USR3, true);
    console.log(`USR3 on: DATAIN bit ${gpio.read(USR3) ? 1 : 0}`);
    await new Promise((r) => setTimeout(r, 200));
    gpio.write(USR3, false);
    console.log(`USR3 off: DATAIN bit ${gpio.read(USR3) ? 1 : 0}`);
    await new Promise((r) => setTimeout(r, 200));
  }
} finally {
  region.iounmap();
}
