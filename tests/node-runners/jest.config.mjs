// Jest for the package in Node: the README's config as written ("Node: SSR, tests, scripts").
// The package is an ES module, so Jest runs natively as ESM: no transform, and Node started with
// NODE_OPTIONS=--experimental-vm-modules. (tests/e2e/runners.test.mjs runs `jest jest/`.)
export default { testEnvironment: "node", transform: {} };
