// Tests run in a time zone with an offset and daylight saving, so that UTC handling is really tested.
process.env.TZ = process.env.PD_TEST_TZ || 'America/New_York';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is done once by `npm run typecheck`; ts-jest only transpiles (tsconfig isolatedModules).
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
};
