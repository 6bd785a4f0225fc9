import { fileTypeFromBuffer } from 'file-type';
import type { FileRejectionReason } from '@parley/contracts';

/** What the content of a file is, found from its bytes. */
export interface DetectedType {
  readonly mimeType: string;
  /** Usual extension of the type, without the dot; null when the type is unknown. */
  readonly extension: string | null;
}

/** Bytes of the start of a file that detection reads. Enough for the container formats too. */
export const detectionSampleBytes = 256 * 1024;

export const plainText = 'text/plain';
const unknownBinary = 'application/octet-stream';

/**
 * Types the service stores: pictures, documents, plain text, common archives, audio and video.
 * Anything else, executables and unrecognised binary content among it, is rejected.
 */
export const allowedTypes: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/apng',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/bmp',
  'image/tiff',
  'application/pdf',
  'application/rtf',
  'application/epub+zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/zip',
  'application/gzip',
  plainText,
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/wav',
  'audio/flac',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'video/matroska',
]);

/** Other names clients use for the same types. */
const aliases: ReadonlyMap<string, string> = new Map([
  ['image/jpg', 'image/jpeg'],
  ['image/pjpeg', 'image/jpeg'],
  ['image/x-png', 'image/png'],
  ['image/tif', 'image/tiff'],
  ['application/x-pdf', 'application/pdf'],
  ['text/rtf', 'application/rtf'],
  ['application/x-zip-compressed', 'application/zip'],
  ['application/x-gzip', 'application/gzip'],
  ['audio/mp3', 'audio/mpeg'],
  ['audio/x-wav', 'audio/wav'],
  ['audio/wave', 'audio/wav'],
  ['audio/vnd.wave', 'audio/wav'],
  ['audio/x-flac', 'audio/flac'],
  ['audio/x-m4a', 'audio/mp4'],
  ['audio/m4a', 'audio/mp4'],
  ['video/x-matroska', 'video/matroska'],
]);

// ZIP containers: detection may see only the archive when the entry naming the document type is
// not near the start, so a claim of one of these is consistent with plain ZIP content.
const zipContainers: ReadonlySet<string> = new Set([
  'application/zip',
  'application/epub+zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
]);

// Claims that say "text of some kind"; text content is consistent with any of them.
const textualClaim =
  /^(text\/[a-z0-9.+-]+|application\/(json|xml|javascript|x-ndjson|[a-z0-9.-]+\+(json|xml)))$/;

/**
 * The uploader's Content-Type as kept: lowercase, without parameters; null when absent or when it
 * says nothing (application/octet-stream).
 */
export function claimedType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (
    type === '' ||
    type === unknownBinary ||
    !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type) ||
    type.length > 255
  ) {
    return null;
  }
  return type;
}

/**
 * The type of the content, from its first bytes (`sample`, the whole file when `complete`): a
 * signature known to the file-type package, else plain text when the bytes are UTF-8 without
 * control characters other than tab, line feed, form feed and carriage return, else unknown binary.
 */
export async function detectType(sample: Uint8Array, complete: boolean): Promise<DetectedType> {
  const found = await fileTypeFromBuffer(sample);
  if (found !== undefined) {
    return { mimeType: canonical(found.mime), extension: found.ext };
  }
  if (isText(sample, complete)) {
    return { mimeType: plainText, extension: 'txt' };
  }
  return { mimeType: unknownBinary, extension: null };
}

/** Whether processing keeps the file, and why not. */
export function verdict(detected: DetectedType, claimed: string | null): FileRejectionReason | null {
  if (!allowedTypes.has(detected.mimeType)) {
    return 'type_not_allowed';
  }
  if (claimed !== null && !consistent(claimed, detected.mimeType)) {
    return 'type_mismatch';
  }
  return null;
}

function consistent(claimed: string, detected: string): boolean {
  const claim = canonical(claimed);
  if (claim === canonical(detected)) {
    return true;
  }
  if (detected === plainText) {
    return textualClaim.test(claim);
  }
  return detected === 'application/zip' && zipContainers.has(claim);
}

function canonical(type: string): string {
  const bare = type.split(';')[0]?.trim().toLowerCase() ?? type;
  return aliases.get(bare) ?? bare;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function isText(sample: Uint8Array, complete: boolean): boolean {
  if (sample.length === 0) {
    return false;
  }
  for (const byte of sample) {
    // NUL to BS, VT, SO to US, DEL: binary. TAB, LF, FF, CR are text.
    if (byte < 0x20 ? byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d : byte === 0x7f) {
      return false;
    }
  }
  // A sample cut from a longer file may end inside a character: drop up to three bytes of it.
  const text = complete ? sample : sample.subarray(0, sample.length - trailingPartial(sample));
  try {
    decoder.decode(text);
    return true;
  } catch {
    return false;
  }
}

/** Bytes at the end that start a UTF-8 sequence the sample does not finish. */
function trailingPartial(sample: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, sample.length); back += 1) {
    const byte = sample[sample.length - back] as number;
    if ((byte & 0xc0) !== 0x80) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return needed > back ? back : 0;
    }
  }
  return 0;
}
