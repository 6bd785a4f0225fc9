import { contentDisposition, harmlessName, maxNameLength, storedNameOf } from './file-names.js';

describe('harmlessName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\photo.jpg', 'photo.jpg'],
    ['dir/', 'file'],
    ['.', 'file'],
    ['...', 'file'],
    ['.profile', '.profile'],
    ['tab\there.txt', 'tabhere.txt'],
    ['\u0000\u001f\u007f\u0080\u009f', 'file'],
    ['right\u202Eto\u202Cleft.txt', 'righttoleft.txt'],
    ['lone\uD800surrogate.txt', 'lonesurrogate.txt'],
    ['line\u2028para\u2029.txt', 'linepara.txt'],
    ['Cafe\u0301.txt', 'Café.txt'],
  ])('keeps %j as %j', (raw, kept) => {
    expect(harmlessName(raw)).toBe(kept);
  });

  it('shortens a long name to 255 characters, keeping its extension', () => {
    const name = harmlessName(`${'é'.repeat(400)}.tar.gz`);
    expect([...name]).toHaveLength(maxNameLength);
    expect(name.endsWith('é.gz')).toBe(true);
  });

  it('shortens a long name without a usable extension by cutting it', () => {
    expect([...harmlessName('a'.repeat(300))]).toHaveLength(maxNameLength);
    expect(harmlessName(`${'b'.repeat(300)}.${'x'.repeat(40)}`)).toBe('b'.repeat(maxNameLength));
  });
});

describe('storedNameOf', () => {
  it('is made of the tenant, the day in UTC and the id only', () => {
    expect(storedNameOf('t', 'f', new Date('2024-02-03T23:59:59-05:00'))).toBe('t/2024/02/04/f');
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII name and the exact one, percent-encoded', () => {
    expect(contentDisposition('attachment', 'Zürich "plan" (v2)*.pdf')).toBe(
      `attachment; filename="Z_rich _plan_ (v2)*.pdf"; filename*=UTF-8''Z%C3%BCrich%20%22plan%22%20%28v2%29%2A.pdf`,
    );
  });

  it('never lets a name end the header or add a parameter', () => {
    const header = contentDisposition('inline', 'a\\b";x=y');
    expect(header).toBe(`inline; filename="a_b_;x=y"; filename*=UTF-8''a%5Cb%22%3Bx%3Dy`);
  });
});
