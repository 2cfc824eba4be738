// Every test in the workspace runs from TypeScript sources: tsx transpiles, and the
// `portico-source` export condition resolves @portico/* packages to their src/.
module.exports = {
  require: ['tsx/cjs', './test/setup.ts'],
  'node-option': ['conditions=portico-source'],
  timeout: 10000,
  slow: 500,
  exit: true,
  reporter: 'spec',
};
