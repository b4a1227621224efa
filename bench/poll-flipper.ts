/**
 * The other process of the poll-reaction cases (see poll-protocol.ts): on each new ARM value, wait a
 * random 20–80 µs, stamp CLOCK_MONOTONIC into FLIPPED_AT, then set bit 0 of FLAG.
 *
 *   node dist/bench/poll-flipper.js <file> <size>
 * @module
 */
import { mapFile } from '../lib/linux/map-file.js';
import { ARM, FLAG, FLIP_DELAY_US, FLIPPED_AT, READY, STOP } from './poll-protocol.js';

/** Exit if the poller asks for nothing this long (it died): never spin on a CPU forever. */
const IDLE_LIMIT_NS = 10_000_000_000n;

const [path, size] = process.argv.slice(2);
const region = mapFile(path, 0, Number(size));
const [minUs, maxUs] = FLIP_DELAY_US;
let last = region.readl(ARM);
region.writel(1, READY);
let idleSince = process.hrtime.bigint();
for (;;) {
  const arm = region.readl(ARM);
  if (arm === last) {
    if (process.hrtime.bigint() - idleSince > IDLE_LIMIT_NS) break;
    continue;
  }
  last = arm;
  if (arm === STOP) break;
  const flipAt = process.hrtime.bigint() + BigInt(Math.round((minUs + Math.random() * (maxUs - minUs)) * 1000));
  while (process.hrtime.bigint() < flipAt) {
    /* spin: the poller must not be able to predict the flip */
  }
  region.writeq(process.hrtime.bigint(), FLIPPED_AT);
  region.writel(1, FLAG);
  idleSince = process.hrtime.bigint();
}
region.iounmap();
