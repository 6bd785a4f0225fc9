import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';

/**
 * How long a file is kept and how large it may be. The limits and retention of each class live in
 * the file service's `storage_classes` table; the names are fixed here.
 */
export const storageClasses = [
  'temporary_less_than_24_hours',
  'short_term_30_days',
  'medium_term_90_days',
  'long_term_1_year',
  'indefinite',
] as const;
export type StorageClass = (typeof storageClasses)[number];

/** received → processing → accepted | rejected. Only accepted files can be downloaded. */
export const fileStatuses = ['received', 'processing', 'accepted', 'rejected'] as const;
export type FileStatus = (typeof fileStatuses)[number];

/**
 * Why processing rejected a file: its content is of a type the service does not store, its
 * content is not what the uploader said it was, or the stored bytes differ from what was received.
 */
export const fileRejectionReasons = ['type_not_allowed', 'type_mismatch', 'size_mismatch'] as const;
export type FileRejectionReason = (typeof fileRejectionReasons)[number];

/** How a download is presented by a browser. */
export const fileDispositions = ['attachment', 'inline'] as const;
export type FileDisposition = (typeof fileDispositions)[number];

/** Why a file stopped being available: its owner or an administrator deleted it, or it expired. */
export const fileDeletionReasons = ['deleted', 'expired'] as const;
export type FileDeletionReason = (typeof fileDeletionReasons)[number];

const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe('SHA-256 of the content, lowercase hex');

/** A file as its readers see it. */
export const fileSchema = z.object({
  id: idSchema,
  tenantId: idSchema,
  ownerId: idSchema.describe('The user who uploaded the file'),
  name: z.string().describe('The original name, made harmless (no path, no control characters)'),
  storageClass: z.enum(storageClasses),
  sizeBytes: z.number().int().min(1),
  claimedMimeType: z.string().nullable().describe("The uploader's Content-Type; null when none was sent"),
  mimeType: z.string().nullable().describe('Detected from the content; null until processed'),
  extension: z.string().nullable().describe('Extension of the detected type, without the dot'),
  sha256: sha256Schema.nullable().describe('null until processed'),
  status: z.enum(fileStatuses),
  rejectionReason: z.enum(fileRejectionReasons).nullable(),
  expiresAt: timestampSchema.nullable().describe('When the storage class lets the file go; null: never'),
  processedAt: timestampSchema.nullable(),
  createdAt: timestampSchema,
});
export type FileInfo = z.infer<typeof fileSchema>;

/** A record of a file attached to a message of a conversation. */
export const fileAttachmentSchema = z.object({
  id: idSchema,
  fileId: idSchema,
  conversationId: idSchema,
  messageId: idSchema,
  attachedById: idSchema,
  createdAt: timestampSchema,
});
export type FileAttachment = z.infer<typeof fileAttachmentSchema>;

/**
 * The query of an upload (`POST /v1/files?name=…&storageClass=…`); the body is the content itself,
 * its Content-Type the uploader's claim.
 */
export const fileUploadQuerySchema = z.object({
  name: z
    .string()
    .min(1)
    .max(1024)
    .describe('The original file name; any path and control characters are removed before it is kept'),
  storageClass: z.enum(storageClasses).default('short_term_30_days'),
});
export type FileUploadQuery = z.infer<typeof fileUploadQuerySchema>;

/** The query of `POST /v1/files/:fileId/download-url`. */
export const fileDownloadUrlQuerySchema = z.object({
  disposition: z.enum(fileDispositions).default('attachment'),
});

export const fileDownloadUrlSchema = z.object({
  url: z.string().describe('Signed, short-lived URL of the content; no access token needed'),
  expiresAt: timestampSchema,
});
export type FileDownloadUrl = z.infer<typeof fileDownloadUrlSchema>;
