import type { FileDisposition } from '@parley/contracts';

/** Longest name kept, in characters (code points); the database allows 255. */
export const maxNameLength = 255;
const fallbackName = 'file';

// Control characters (C0, DEL, C1), format characters (bidirectional overrides that make
// "gpj.exe" read as "exe.jpg", zero-width characters), lone surrogates (not text, and not
// encodable) and the separators of lines and paragraphs.
const invisible = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu;

/**
 * The uploader's file name made harmless: only what follows the last `/` or `\` (no directory, so
 * no path traversal), without control or format characters, in Unicode NFC, trimmed of spaces and
 * at most 255 characters, keeping the extension when shortened. A name left empty, `.` or `..`
 * becomes "file". The name is only ever shown and offered on download; storage keys never come
 * from it.
 */
export function harmlessName(raw: string): string {
  const base = raw.normalize('NFC').replace(/^.*[/\\]/s, '');
  const visible = base.replace(invisible, '').trim();
  if (visible === '' || /^\.+$/.test(visible)) {
    return fallbackName;
  }
  return shorten(visible);
}

function shorten(name: string): string {
  const characters = [...name];
  if (characters.length <= maxNameLength) {
    return name;
  }
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? [...name.slice(dot)] : [];
  if (extension.length > 0 && extension.length <= 16) {
    return characters.slice(0, maxNameLength - extension.length).join('') + extension.join('');
  }
  return characters.slice(0, maxNameLength).join('');
}

/** The storage key of a file: its tenant, the day it was stored, its id. Nothing from the uploader. */
export function storedNameOf(tenantId: string, fileId: string, storedAt: Date): string {
  const year = String(storedAt.getUTCFullYear());
  const month = String(storedAt.getUTCMonth() + 1).padStart(2, '0');
  const day = String(storedAt.getUTCDate()).padStart(2, '0');
  return `${tenantId}/${year}/${month}/${day}/${fileId}`;
}

/**
 * A Content-Disposition header (RFC 6266) naming the file: an ASCII `filename` for old clients,
 * with anything outside printable ASCII, quotes and backslashes replaced by `_`, and the exact name
 * as `filename*` in UTF-8 percent-encoding (RFC 8187).
 */
export function contentDisposition(disposition: FileDisposition, name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

/** Percent-encodes everything but RFC 8187's attr-char. */
function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
