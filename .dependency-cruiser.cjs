// The rooms of lib/ and the one direction imports run between them (CONTRIBUTING.md, "Layout"):
// core at the bottom; regmap on core; sim on core and regmap; linux on core (and regmap); observe on any;
// nothing on observe; only lib/linux/ reaches the addon. Checked by test/import-directions.test.ts.
const room = (name) => `^lib/${name}/`;
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import circle, type-only ones included.', from: { path: '^lib/' }, to: { circular: true } },
    { name: 'core-is-the-bottom', severity: 'error', from: { path: room('core') }, to: { path: '^lib/(linux|regmap|sim|observe)/' } },
    { name: 'regmap-on-core-only', severity: 'error', from: { path: room('regmap') }, to: { path: '^lib/(linux|sim|observe)/' } },
    { name: 'sim-on-core-and-regmap', severity: 'error', from: { path: room('sim') }, to: { path: '^lib/(linux|observe)/' } },
    { name: 'linux-never-sim', severity: 'error', from: { path: room('linux') }, to: { path: '^lib/(sim|observe)/' } },
    { name: 'nothing-on-observe', severity: 'error', from: { path: '^lib/(core|regmap|sim|linux)/' }, to: { path: room('observe') } },
    { name: 'only-linux-loads-the-addon', severity: 'error', comment: 'The entry point may re-export from it (nativeAvailable).', from: { path: '^lib/', pathNot: [room('linux'), '^lib/index\\.ts$'] }, to: { path: ['node-gyp-build', '\\.node$', '^lib/linux/addon\\.ts$'] } },
    { name: 'rooms-only', severity: 'error', comment: 'lib/ holds the entry point and the five rooms, nothing else.', from: { path: '^lib/[^/]+\\.ts$', pathNot: '^lib/index\\.ts$' }, to: {} },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
