import { parseRange } from './byte-range.js';

describe('parseRange', () => {
  const size = 1000;

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=0-499', 0, 499],
    ['bytes=500-', 500, 999],
    ['bytes=990-5000', 990, 999],
    ['bytes=-1', 999, 999],
    ['bytes=-200', 800, 999],
    ['bytes=-5000', 0, 999],
    [' bytes=10-20 ', 10, 20],
  ])('reads %j as bytes %d to %d', (header, start, end) => {
    expect(parseRange(header, size)).toEqual({ kind: 'range', range: { start, end } });
  });

  it.each([
    undefined,
    '',
    'bytes=',
    'bytes=-',
    'bytes=5-1',
    'bytes=0-1,3-4',
    'items=0-1',
    'bytes=a-b',
    'bytes 0-1',
  ])('ignores %j and sends the whole file', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'whole' });
  });

  it.each(['bytes=1000-', 'bytes=1000-2000', 'bytes=-0'])('cannot satisfy %j', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'unsatisfiable' });
  });

  it('cannot satisfy a suffix of an empty file', () => {
    expect(parseRange('bytes=-10', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
