// jsfuzz targets (coverage-guided; see run.mjs): the surfaces that parse untrusted text, over the CommonJS build of
// the parsers in .cache/fuzz-cjs. Each input is text; a typed error (a `code` and, from the library, a non-empty
// `hint`) is the contract's answer to bad text; anything else thrown (a raw TypeError, a RangeError without a code,
// a non-Error) is a finding, and so is a value of the wrong kind.
const { join } = require('node:path');

const built = join(__dirname, '../../../.cache/fuzz-cjs');
const targets = require(join(built, 'cli/targets.js'));
const recording = require(join(built, 'lib/observe/recording-format.js'));
const regmap = require(join(built, 'lib/regmap/map.js'));

function typed(e, needHint) {
  if (!(e instanceof Error) || typeof e.code !== 'string' || e.code.length === 0) throw e;
  if (needHint && !(typeof e.hint === 'string' && e.hint.trim().length > 0)) {
    throw new Error(`finding: ${e.code} without a hint: ${e.message}`, { cause: e });
  }
}

function expectKind(v, ok, what) {
  if (!ok(v)) throw new Error(`finding: ${what} returned ${typeof v} ${String(v)}`);
}

/** CLI targets and numbers (cli/targets.ts): a value of the right kind or a UsageError / argument error. */
function cli(text) {
  for (const [call, ok] of [
    [() => targets.parseNumber(text, 'n', { suffix: true }), (v) => typeof v === 'bigint' && v >= 0n],
    [() => targets.parseNumber(text, 'n'), (v) => typeof v === 'bigint' && v >= 0n],
    [() => targets.parseValue(text), (v) => typeof v === 'bigint'],
    [() => targets.parseWidth(text), (v) => [1, 2, 4, 8].includes(v)],
    [() => targets.parseTarget(text, {}), (v) => v !== null && typeof v === 'object' && typeof v.offset === 'bigint'],
  ]) {
    try {
      expectKind(call(), ok, 'a CLI parser');
    } catch (e) {
      if (String(e?.message).startsWith('finding:')) throw e;
      typed(e, e?.name !== 'UsageError');
    }
  }
}

/** Recordings (parseRecording): a recording, or ERR_INVALID_RECORDING naming the line. */
function rec(text) {
  try {
    const r = recording.parseRecording(text, 'fuzz');
    expectKind(r, (v) => v && typeof v.header === 'object' && Array.isArray(v.steps), 'parseRecording');
  } catch (e) {
    if (String(e?.message).startsWith('finding:')) throw e;
    typed(e, true);
  }
}

/** Register-map definitions (defineRegisterMap over JSON text): a map, or a typed argument error. */
function map(text) {
  let spec;
  try {
    spec = JSON.parse(text);
  } catch {
    return; // not JSON: nothing of ours ran
  }
  try {
    const m = regmap.defineRegisterMap(spec);
    expectKind(m, (v) => v && typeof v === 'object', 'defineRegisterMap');
  } catch (e) {
    if (String(e?.message).startsWith('finding:')) throw e;
    typed(e, true);
  }
}

const surfaces = { cli, rec, map };
const chosen = process.env.MMIO_FUZZ_SURFACE;
module.exports = {
  fuzz(buf) {
    const text = buf.toString('utf8');
    if (chosen) surfaces[chosen](text);
    else for (const f of Object.values(surfaces)) f(text);
  },
};
