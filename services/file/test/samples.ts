import { randomBytes } from 'node:crypto';

/** A 1×1 PNG image. */
export function pngImage(): Buffer {
  return Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  );
}

/** The start of a 64-bit Linux executable (ELF header), padded. */
export function elfExecutable(): Buffer {
  const header = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]).copy(header);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(0x3e, 18); // x86-64
  return header;
}

/** A minimal PDF document. */
export function pdfDocument(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

/** Bytes of no known format (with NUL bytes, so not text either). */
export function unknownBinary(bytes = 8192): Buffer {
  const data = randomBytes(bytes);
  data[0] = 0;
  data[1] = 0;
  return data;
}
