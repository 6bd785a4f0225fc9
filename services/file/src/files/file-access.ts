import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ParleyError, type Principal } from '@parley/contracts';
import { PermissionChecker, type CheckedResource } from '@parley/permissions';
import type { FileEntity } from './file.entity.js';
import { FilesRepository } from './files.repository.js';

/**
 * Who may do what with a file (docs/00010-conventions-permissions.md, section 5):
 *
 * - read: `file:file:read` on the file (its owner through `file-owner`, the tenant's administrators
 *   tenant-wide), or `conversation:message:read` on a conversation the file is attached to;
 * - delete: `file:file:delete` on the file;
 * - attach: the owner only.
 *
 * A file the actor may not read is answered exactly like one that does not exist (`not_found`), so
 * nobody learns that someone else's file is there.
 */
@Injectable()
export class FileAccess {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly permissions: PermissionChecker,
  ) {}

  /** The live file, when the actor may read it. */
  async readable(actor: Principal, fileId: string): Promise<FileEntity> {
    const file = await this.files.findLive(this.dataSource.manager, actor.tenantId, fileId);
    if (file === null || !(await this.mayRead(actor, file))) {
      throw noSuchFile(fileId);
    }
    return file;
  }

  /** The live file, when the actor may delete it; `forbidden` when it may only read it. */
  async deletable(actor: Principal, fileId: string): Promise<FileEntity> {
    const file = await this.readable(actor, fileId);
    await this.permissions.require(actor, 'file:file:delete', resourceOf(file));
    return file;
  }

  /** The live file, when the actor owns it; `forbidden` when it may only read it. */
  async owned(actor: Principal, fileId: string): Promise<FileEntity> {
    const file = await this.readable(actor, fileId);
    if (file.ownerId !== actor.userId) {
      throw new ParleyError('forbidden', 'Only the owner of a file can attach it', { fileId });
    }
    return file;
  }

  private async mayRead(actor: Principal, file: FileEntity): Promise<boolean> {
    if (await this.permissions.can(actor, 'file:file:read', resourceOf(file))) {
      return true;
    }
    const conversations = await this.files.conversationsOf(this.dataSource.manager, file.tenantId, file.id);
    for (const conversationId of conversations) {
      const conversation = { type: 'conversation', id: conversationId, tenantId: file.tenantId } as const;
      if (await this.permissions.can(actor, 'conversation:message:read', conversation)) {
        return true;
      }
    }
    return false;
  }
}

/** A file as a permission check sees it: with its owner and tenant. */
export function resourceOf(file: FileEntity): CheckedResource {
  return { type: 'file', id: file.id, ownerId: file.ownerId, tenantId: file.tenantId };
}

export function noSuchFile(fileId: string): ParleyError {
  return new ParleyError('not_found', 'No such file', { fileId });
}
