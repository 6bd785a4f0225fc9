import { claimedType, detectType, verdict } from './content-types.js';

const png = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const zip = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(60)]);

describe('claimedType', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['application/octet-stream', null],
    ['not a type', null],
    [`image/${'x'.repeat(300)}`, null],
    ['Image/PNG', 'image/png'],
    ['text/plain; charset=utf-8', 'text/plain'],
  ])('keeps %j as %j', (header, kept) => {
    expect(claimedType(header)).toBe(kept);
  });
});

describe('detectType', () => {
  it('knows formats by their signature', async () => {
    await expect(detectType(png, true)).resolves.toEqual({ mimeType: 'image/png', extension: 'png' });
  });

  it('takes UTF-8 without control characters for text', async () => {
    await expect(detectType(Buffer.from('a\tb\r\nc\fd é ✓\n'), true)).resolves.toEqual({
      mimeType: 'text/plain',
      extension: 'txt',
    });
  });

  it('accepts a sample that ends inside a character, unless the file ends there', async () => {
    const cut = Buffer.from('text ✓').subarray(0, -1);
    await expect(detectType(cut, false)).resolves.toMatchObject({ mimeType: 'text/plain' });
    await expect(detectType(cut, true)).resolves.toMatchObject({ mimeType: 'application/octet-stream' });
    const lastByteStartsCharacter = Buffer.from([0x61, 0xc3]);
    await expect(detectType(lastByteStartsCharacter, false)).resolves.toMatchObject({
      mimeType: 'text/plain',
    });
    const complete = Buffer.from('ab ✓');
    await expect(detectType(complete, false)).resolves.toMatchObject({ mimeType: 'text/plain' });
    const fourBytes = Buffer.from('ab 😀');
    await expect(detectType(fourBytes, false)).resolves.toMatchObject({ mimeType: 'text/plain' });
    await expect(detectType(fourBytes.subarray(0, -1), false)).resolves.toMatchObject({
      mimeType: 'text/plain',
    });
  });

  it.each([
    ['NUL bytes', Buffer.from([0x61, 0x00, 0x62])],
    ['DEL', Buffer.from([0x61, 0x7f])],
    ['an escape character', Buffer.from([0x1b, 0x5b, 0x41])],
    ['invalid UTF-8', Buffer.from([0x61, 0xff, 0xfe, 0x62])],
    ['nothing', Buffer.alloc(0)],
  ])('takes content with %s for unknown binary', async (_what, sample) => {
    await expect(detectType(sample, true)).resolves.toEqual({
      mimeType: 'application/octet-stream',
      extension: null,
    });
  });
});

describe('verdict', () => {
  const text = { mimeType: 'text/plain', extension: 'txt' };
  const image = { mimeType: 'image/png', extension: 'png' };
  const archive = { mimeType: 'application/zip', extension: 'zip' };

  it('accepts allowed content without a claim, or with a claim that fits', () => {
    expect(verdict(image, null)).toBeNull();
    expect(verdict(image, 'image/png')).toBeNull();
    expect(verdict(image, 'image/x-png')).toBeNull();
    expect(verdict(text, 'text/csv')).toBeNull();
    expect(verdict(text, 'application/ld+json')).toBeNull();
    expect(
      verdict(archive, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
    ).toBeNull();
  });

  it('rejects content of a type not stored', () => {
    expect(verdict({ mimeType: 'application/x-msdownload', extension: 'exe' }, null)).toBe(
      'type_not_allowed',
    );
    expect(verdict({ mimeType: 'application/octet-stream', extension: null }, 'image/png')).toBe(
      'type_not_allowed',
    );
  });

  it('rejects a claim the content contradicts', () => {
    expect(verdict(image, 'image/jpeg')).toBe('type_mismatch');
    expect(verdict(text, 'image/svg')).toBe('type_mismatch');
    expect(verdict(archive, 'application/pdf')).toBe('type_mismatch');
    expect(verdict(image, 'application/zip')).toBe('type_mismatch');
  });

  it('reads a ZIP signature as a ZIP archive', async () => {
    await expect(detectType(zip, true)).resolves.toMatchObject({ mimeType: 'application/zip' });
  });
});
