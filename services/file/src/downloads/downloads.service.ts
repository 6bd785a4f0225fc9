import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { ParleyError, type FileDisposition, type FileDownloadUrl, type Principal } from '@parley/contracts';
import { CLOCK, FILE_OPTIONS, type Clock, type FileOptions } from '../file.options.js';
import { FileAccess, noSuchFile } from '../files/file-access.js';
import { contentDisposition } from '../files/file-names.js';
import type { FileEntity } from '../files/file.entity.js';
import { FilesRepository } from '../files/files.repository.js';
import type { StorageClassEntity } from '../files/storage-class.entity.js';
import { StorageDrivers } from '../storage/storage-drivers.js';
import { parseRange } from './byte-range.js';
import { DownloadTokens } from './download-tokens.js';

/** What a download request carries besides the token. */
export interface DownloadRequest {
  readonly method: 'GET' | 'HEAD';
  readonly range?: string | undefined;
  readonly ifRange?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
}

/** The response to a download: status, headers and, unless there is none, the content. */
export interface DownloadResponse {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Readable;
}

// Types a browser may show in place: pictures, sound, video. Everything else is downloaded.
const inlineTypes = /^(image|audio|video)\//;

/**
 * Signed download URLs and the responses they get: ranges, validators, a safe Content-Disposition
 * and caching by storage class.
 */
@Injectable()
export class DownloadsService {
  private readonly tokens: DownloadTokens;

  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly access: FileAccess,
    private readonly drivers: StorageDrivers,
    @Inject(FILE_OPTIONS) private readonly options: FileOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.tokens = new DownloadTokens(options.downloadSecret, options.downloadUrlTtlMs);
  }

  /** A signed URL of an accepted file the actor may read. */
  async createUrl(actor: Principal, fileId: string, disposition: FileDisposition): Promise<FileDownloadUrl> {
    const file = await this.access.readable(actor, fileId);
    if (file.status !== 'accepted') {
      throw new ParleyError('conflict', 'The file cannot be downloaded before processing has accepted it', {
        fileId,
        status: file.status,
      });
    }
    const shown = disposition === 'inline' && inlineTypes.test(file.mimeType ?? '') ? 'inline' : 'attachment';
    const { token, expiresAt } = await this.tokens.sign(
      { fileId: file.id, tenantId: file.tenantId, disposition: shown },
      this.clock(),
    );
    return { url: `${this.options.publicUrl}/v1/downloads/${token}`, expiresAt: expiresAt.toISOString() };
  }

  /** The response to a signed URL: the file's content (or part of it), or why there is none. */
  async download(token: string, request: DownloadRequest): Promise<DownloadResponse> {
    const now = this.clock();
    const signed = await this.tokens.verify(token, now);
    const file = await this.files.findLive(this.dataSource.manager, signed.tenantId, signed.fileId);
    if (file === null || file.status !== 'accepted' || file.purgedAt !== null) {
      throw noSuchFile(signed.fileId);
    }
    const storageClass = await this.files.storageClass(this.dataSource.manager, file.storageClass);
    const etag = `"${file.sha256 ?? file.id}"`;
    const headers: Record<string, string> = {
      'Content-Type': file.mimeType === 'text/plain' ? 'text/plain; charset=utf-8' : (file.mimeType ?? ''),
      'Content-Disposition': contentDisposition(signed.disposition, file.originalName),
      'X-Content-Type-Options': 'nosniff',
      // The content never runs as a page of this origin, even if a browser were to render it.
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': file.createdAt.toUTCString(),
      'Cache-Control': cacheControl(storageClass, file, now),
    };
    if (matches(request.ifNoneMatch, etag)) {
      return { status: 304, headers };
    }
    const size = file.sizeBytes;
    const wanted = request.ifRange === undefined || request.ifRange === etag ? request.range : undefined;
    const range = parseRange(wanted, size);
    if (range.kind === 'unsatisfiable') {
      return { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } };
    }
    const driver = this.drivers.of(file.storageDriver);
    if (range.kind === 'range') {
      const { start, end } = range.range;
      const partial = {
        ...headers,
        'Content-Range': `bytes ${start}-${end}/${size}`,
        'Content-Length': String(end - start + 1),
      };
      return request.method === 'HEAD'
        ? { status: 206, headers: partial }
        : { status: 206, headers: partial, body: await driver.read(file.storedName, range.range) };
    }
    const whole = { ...headers, 'Content-Length': String(size) };
    return request.method === 'HEAD'
      ? { status: 200, headers: whole }
      : { status: 200, headers: whole, body: await driver.read(file.storedName) };
  }
}

/**
 * Browsers only (`private`: the content is someone's file, never for shared caches), for the
 * storage class's cache lifetime but never past the file's expiry; `immutable`, since a file's
 * content never changes. A class with no cache lifetime, or a file about to expire, is not stored.
 */
export function cacheControl(storageClass: StorageClassEntity, file: FileEntity, now: Date): string {
  const untilExpiry =
    file.expiresAt === null ? Infinity : Math.floor((file.expiresAt.getTime() - now.getTime()) / 1000);
  const maxAge = Math.min(storageClass.cacheMaxAgeSeconds, untilExpiry);
  return maxAge <= 0 ? 'private, no-store' : `private, max-age=${maxAge}, immutable`;
}

/** If-None-Match: `*` or a list of entity tags (weak ones compare equal, as RFC 9110 says). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
