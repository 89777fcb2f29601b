/**
 * What requiring the library loads: every module loaded stays in the heap for good, and under load V8
 * lets the old generation grow to about four times what survives a full GC (bench/README.md, Memory).
 */
describe('what requiring the library loads', () => {
  it('date-fns by function (date-fns/parseISO, ...), never its index, which loads about 300 modules', () => {
    let indexLoaded = false;
    jest.isolateModules(() => {
      jest.doMock('date-fns', () => {
        indexLoaded = true;
        return jest.requireActual('date-fns');
      });
      const lib = require('../lib') as typeof import('../lib');
      // Dates are still read (the validator uses date-fns/parseISO).
      const result = lib.validateDeployment({ FeedName: 'f', PackageName: 'p', Version: '1.0.0', Application: 'a', Description: 'd', Target: 't', Date: '2024-01-02T03:04:05Z' });
      expect(result.ok).toBe(true);
    });
    expect(indexLoaded).toBe(false);
  });
});
