import { z } from 'zod';
import { defineEvent, defineRequest, type EventContract } from '../contract.js';
import { idSchema, timestampSchema } from '../common.js';
import { requestSubject } from '../subjects.js';
import {
  fileAttachmentSchema,
  fileDeletionReasons,
  fileDispositions,
  fileDownloadUrlSchema,
  fileSchema,
} from './file.schema.js';

const service = 'file';

/**
 * Request/reply operations of the file service. Uploads and downloads are HTTP only (streamed);
 * these serve other services and clients that speak NATS.
 */
export const fileRequests = {
  get: defineRequest({
    service,
    entity: 'file',
    verb: 'get',
    summary:
      "A file's metadata, for its owner, the tenant's administrators and the participants of a conversation it is attached to",
    authentication: 'actor',
    request: z.object({ fileId: idSchema }),
    response: fileSchema,
  }),
  delete: defineRequest({
    service,
    entity: 'file',
    verb: 'delete',
    summary:
      'Delete a file: it is gone for every reader at once, and its content is purged after a grace period',
    authentication: 'actor',
    request: z.object({ fileId: idSchema }),
    response: z.object({ fileId: idSchema, deletedAt: timestampSchema }),
  }),
  attach: defineRequest({
    service,
    entity: 'file',
    verb: 'attach',
    summary:
      "Record that the caller's own file is attached to a message of a conversation the caller may send to; " +
      'whoever may read that conversation may then read the file. Idempotent',
    authentication: 'actor',
    request: z.object({ fileId: idSchema, conversationId: idSchema, messageId: idSchema }),
    response: fileAttachmentSchema,
  }),
  createDownloadUrl: defineRequest({
    service,
    entity: 'download-url',
    verb: 'create',
    summary: 'A signed, short-lived URL of an accepted file the caller may read',
    authentication: 'actor',
    request: z.object({ fileId: idSchema, disposition: z.enum(fileDispositions).default('attachment') }),
    response: fileDownloadUrlSchema,
  }),
} as const;

/** Events of the file service, published through its outbox. */
export const fileEvents = {
  accepted: defineEvent({
    service,
    entity: 'file',
    event: 'accepted',
    summary: 'Processing accepted a file: it is hashed, typed and can be downloaded',
    payload: z.object({ file: fileSchema }),
  }),
  rejected: defineEvent({
    service,
    entity: 'file',
    event: 'rejected',
    summary: 'Processing rejected a file (see rejectionReason); its content is removed',
    payload: z.object({ file: fileSchema }),
  }),
  deleted: defineEvent({
    service,
    entity: 'file',
    event: 'deleted',
    summary: 'A file was deleted or expired: it can no longer be read',
    payload: z.object({
      fileId: idSchema,
      ownerId: idSchema,
      reason: z.enum(fileDeletionReasons),
      deletedAt: timestampSchema,
    }),
  }),
} as const;

const processingSubject = requestSubject(service, 'upload', 'process');
const processingJobSchema = z.object({ fileId: idSchema });

/**
 * The work queue of uploads waiting to be processed: a JetStream stream with work-queue retention
 * (a job is removed once a worker acknowledged it), read by one durable consumer shared by every
 * instance of the file service. A job is written to the outbox in the transaction that records the
 * upload, so it exists exactly when the upload was committed; the outbox takes an event contract,
 * hence `job` has that shape, with the queue's own subject.
 */
export const fileProcessing = {
  stream: 'file_processing',
  subject: processingSubject,
  durable: 'file-processing',
  job: {
    kind: 'event',
    service,
    type: 'upload.process',
    summary: 'An upload waits to be hashed, typed and accepted or rejected',
    payload: processingJobSchema,
    subject: () => processingSubject,
  } satisfies EventContract<typeof processingJobSchema>,
} as const;
