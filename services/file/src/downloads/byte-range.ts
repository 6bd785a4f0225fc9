import type { ByteRange } from '../storage/storage-driver.js';

/** What a Range header asks of a file of a given size (RFC 9110, section 14). */
export type RangeRequest =
  | { readonly kind: 'whole' }
  | { readonly kind: 'range'; readonly range: ByteRange }
  | { readonly kind: 'unsatisfiable' };

const single = /^bytes=(\d*)-(\d*)$/;

/**
 * One byte range: `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, with a last byte past the
 * end cut to the end. Everything else a server may ignore is ignored (the whole file is sent):
 * no header, another unit, several ranges, malformed ranges. A range starting at or past the end,
 * or an empty suffix, cannot be satisfied.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  const match = header === undefined ? null : single.exec(header.trim());
  if (match === null) {
    return { kind: 'whole' };
  }
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') {
    return { kind: 'whole' };
  }
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) {
      return { kind: 'unsatisfiable' };
    }
    return { kind: 'range', range: { start: Math.max(size - suffix, 0), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) {
    return { kind: 'whole' };
  }
  if (start >= size) {
    return { kind: 'unsatisfiable' };
  }
  return { kind: 'range', range: { start, end } };
}
