/**
 * The JS poller process of the poll-reaction cases (see poll-protocol.ts): waits for the flipper, then
 * prints one reaction time in ns per line, for `flips` flips after a short warm-up.
 *
 *   node dist/bench/poll-js-poller.js <file> <size> mask|predicate <flips>
 * @module
 */
import { mapFile } from '../lib/linux/map-file.js';
import { measureJsReaction, READY, TIMEOUT_US, WARM_UP_FLIPS, type PollMode } from './poll-protocol.js';


const [path, size, mode, flips] = process.argv.slice(2);
const region = mapFile(path, 0, Number(size));
region.readl_poll_timeout_atomic(READY, { mask: 1, value: 1 }, 0, TIMEOUT_US);
measureJsReaction(region, WARM_UP_FLIPS, mode as PollMode);
const samples = measureJsReaction(region, Number(flips), mode as PollMode);
process.stdout.write(`${samples.join('\n')}\n`);
region.iounmap();
