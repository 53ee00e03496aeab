import type { AccountRecord, FileRecord, FileRepository, NewFile } from '@chat/db';
import { createLogger } from '@chat/logger';
import { AppError, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { RecordingWork } from '../testing/recording-work';
import { FileService } from './file.service';
import type { IncomingFile } from './ports';

const log = createLogger({ name: 'files-test', level: 'silent' });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
const png = (name = 'me.png'): IncomingFile => ({
  name,
  size: PNG.length,
  mimetype: 'image/png',
  buffer: PNG,
});

const ME = 1;
const STRANGER = 2;
const GROUP = 10;
const FRIENDSHIP = 11;

/**
 * In-memory stand-ins for the file area's ports, with the rows docs/data-model.md §2.7 describes and
 * an object store whose puts and deletes fail on demand.
 */
function world() {
  let nextId = 100;
  const rows = new Map<number, FileRecord>();
  const objects = new Set<string>();
  const work = new RecordingWork();
  const events = work.events;
  const fail = { put: false, delete: false, record: false, leftMeanwhile: false };
  /** Stored messages a file message may reply to. */
  const messages = new Map<number, { relationId: number; isRevoke: boolean }>();
  /** replyTargets.state calls. */
  const lookups = { count: 0 };
  let nextMsgId = 0;
  const account: AccountRecord = {
    id: ME,
    userId: 1,
    name: 'me',
    avatar: 'https://default',
    gender: '未知',
    signature: 's',
    createAt: new Date(0),
    tokenEpoch: 0,
  };
  const insert = (
    file: NewFile,
    purpose: FileRecord['purpose'],
    relationId: number | null,
    accountId: number,
  ) => {
    const row: FileRecord = {
      ...file,
      id: nextId++,
      purpose,
      relationId,
      accountId,
      createAt: new Date(),
    };
    rows.set(row.id, row);
    return row;
  };
  const files: FileRepository = {
    findById: async (id) => rows.get(id) ?? null,
    listByRelation: async (relationId) =>
      [...rows.values()].filter((r) => r.relationId === relationId).reverse(),
    replaceAccountAvatar: async (accountId, file) => {
      if (fail.record) throw new Error('database down');
      if (accountId !== ME) return 'account_gone';
      const previous =
        [...rows.values()].find(
          (r) => r.purpose === 'account_avatar' && r.accountId === accountId,
        ) ?? null;
      if (previous) previous.accountId = null;
      account.avatar = file.url;
      return {
        file: insert(file, 'account_avatar', null, accountId),
        previous,
        account: { ...account },
      };
    },
    replaceGroupAvatar: async (relationId, uploaderId, file) => {
      if (relationId !== GROUP) return 'not_group';
      const previous =
        [...rows.values()].find(
          (r) => r.purpose === 'group_avatar' && r.relationId === relationId,
        ) ?? null;
      if (previous) previous.relationId = null;
      return { file: insert(file, 'group_avatar', relationId, uploaderId), previous };
    },
    recordMessageFile: async (relationId, uploaderId, file) => {
      if (fail.record) throw new Error('database down');
      if (fail.leftMeanwhile) return 'not_member';
      return insert(file, 'message', relationId, uploaderId);
    },
    orphans: async () => [],
    countOrphans: async () => 0,
    deleteOrphan: async (id) => rows.delete(id),
  };
  const service = new FileService({
    files,
    relations: {
      isMember: async (accountId, relationId) =>
        accountId === ME && (relationId === GROUP || relationId === FRIENDSHIP),
      relation: async (id) =>
        id === GROUP
          ? { relationType: 'group' }
          : id === FRIENDSHIP
            ? { relationType: 'friend' }
            : null,
    },
    store: {
      put: async (key) => {
        if (fail.put) throw new Error('storage down');
        objects.add(key);
        return { key, url: `https://files/${key}` };
      },
      delete: async (key) => {
        if (fail.delete) throw new Error('storage down');
        objects.delete(key);
      },
    },
    work,
    maxImageBytes: 100,
    maxFileBytes: 50,
    replyTargets: {
      state: async (id) => {
        lookups.count += 1;
        return messages.get(id) ?? null;
      },
    },
    // Ids whose time is long past: a missing replied-to message is answered at once.
    ids: { next: () => 1_000_000 + ++nextMsgId, timeOf: (id) => new Date(id) },
    log,
  });
  return { service, rows, objects, events, messages, work, fail, insert, lookups };
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof AppError ? e.code : e),
  );

describe('FileService avatars', () => {
  it('stores an account avatar under a fresh key, records it and pushes update_account', async () => {
    const w = world();
    const { url } = await w.service.uploadAvatar(ME, 0, png());
    expect(url).toMatch(/^https:\/\/files\/avatars\/account\/1\/[0-9a-f-]{36}\.png$/);
    expect([...w.rows.values()]).toEqual([
      expect.objectContaining({
        purpose: 'account_avatar',
        accountId: ME,
        url,
        fileType: 'img',
        fileName: 'me.png',
      }),
    ]);
    expect(w.events).toEqual([
      {
        key: 'account:1',
        push: {
          event: PUSH_EVENTS.updateAccount,
          data: { account_id: ME, name: 'me', gender: '未知', signature: 's', avatar: url },
          to: [ME],
        },
      },
    ]);
  });

  it('deletes the replaced avatar’s object and row at once', async () => {
    const w = world();
    await w.service.uploadAvatar(ME, 0, png());
    const { url } = await w.service.uploadAvatar(ME, 0, png());
    expect([...w.rows.values()].map((r) => r.url)).toEqual([url]);
    expect([...w.objects].map((k) => `https://files/${k}`)).toEqual([url]);
  });

  it('keeps the replaced row, unlinked, when deleting its object fails', async () => {
    const w = world();
    const first = await w.service.uploadAvatar(ME, 0, png());
    w.fail.delete = true;
    const second = await w.service.uploadAvatar(ME, 0, png());
    const old = [...w.rows.values()].find((r) => r.url === first.url);
    expect(old).toMatchObject({ accountId: null, purpose: 'account_avatar' });
    expect([...w.rows.values()].find((r) => r.url === second.url)).toMatchObject({ accountId: ME });
  });

  it('refuses a non-image (1001) or an oversized image (8004) before storing anything', async () => {
    const w = world();
    const text: IncomingFile = {
      name: 'a.png',
      size: 5,
      mimetype: 'image/png',
      buffer: Buffer.from('hello'),
    };
    expect(await code(w.service.uploadAvatar(ME, 0, text))).toBe(ErrorCode.InvalidParams);
    const big = { ...png(), size: 101 };
    expect(await code(w.service.uploadAvatar(ME, 0, big))).toBe(ErrorCode.FileTooLarge);
    expect(w.objects.size + w.rows.size).toBe(0);
  });

  it('answers 8001 when the object cannot be stored, recording nothing', async () => {
    const w = world();
    w.fail.put = true;
    expect(await code(w.service.uploadAvatar(ME, 0, png()))).toBe(ErrorCode.FileStoreFailed);
    expect(w.rows.size).toBe(0);
    expect(w.events).toEqual([]);
  });

  it('deletes the new object again when recording it fails', async () => {
    const w = world();
    w.fail.record = true;
    await expect(w.service.uploadAvatar(ME, 0, png())).rejects.toThrow('database down');
    expect(w.objects.size).toBe(0);
  });

  it('replaces a group avatar for a member, without a push', async () => {
    const w = world();
    const { url } = await w.service.uploadAvatar(ME, GROUP, png());
    expect(url).toMatch(/avatars\/group\/10\//);
    expect([...w.rows.values()]).toEqual([
      expect.objectContaining({ purpose: 'group_avatar', relationId: GROUP, accountId: ME }),
    ]);
    expect(w.events).toEqual([]);
  });

  it('answers 4002 for a friendship or a missing relation and 7003 for a non-member, storing nothing', async () => {
    const w = world();
    expect(await code(w.service.uploadAvatar(ME, FRIENDSHIP, png()))).toBe(
      ErrorCode.RelationNotFound,
    );
    expect(await code(w.service.uploadAvatar(ME, 999, png()))).toBe(ErrorCode.RelationNotFound);
    expect(await code(w.service.uploadAvatar(STRANGER, GROUP, png()))).toBe(
      ErrorCode.NotGroupMember,
    );
    expect(w.objects.size).toBe(0);
  });
});

describe('FileService message files', () => {
  const doc = (name: string, size = 20): IncomingFile => ({
    name,
    size,
    mimetype: 'application/pdf',
    buffer: Buffer.alloc(size, 'a'),
  });

  it('stores a member’s file, records it and the message in one unit, and answers its ids', async () => {
    const w = world();
    const reply = await w.service.uploadMessageFile(ME, FRIENDSHIP, 0, png('photo.png'));
    const [row] = [...w.rows.values()];
    expect(row).toMatchObject({
      purpose: 'message',
      relationId: FRIENDSHIP,
      accountId: ME,
      fileType: 'img',
      fileName: 'photo.png',
      fileSize: PNG.length,
    });
    expect(row.key).toMatch(/^messages\/11\/[0-9a-f-]{36}\.png$/);
    expect(reply).toEqual({
      id: expect.any(Number),
      msg_content: row.url,
      file_id: row.id,
      create_at: new Date(reply.id).toISOString(),
    });
    expect(w.work.messages).toEqual([
      {
        id: reply.id,
        relation_id: FRIENDSHIP,
        notify_type: 'common',
        msg_type: 'file',
        msg_content: row.url,
        msg_extend: null,
        file_id: row.id,
        account_id: ME,
        rly_msg_id: null,
        client_msg_id: null,
        create_at: reply.create_at,
      },
    ]);
  });

  it('keeps a plain extension of another file’s name in its key, and nothing else of it', async () => {
    const w = world();
    await w.service.uploadMessageFile(ME, GROUP, 0, doc('Report.PDF'));
    await w.service.uploadMessageFile(ME, GROUP, 0, doc('x.<b>'));
    await w.service.uploadMessageFile(ME, GROUP, 0, doc('../../etc/passwd'));
    const keys = [...w.rows.values()].map((r) => r.key.replace(/[0-9a-f-]{36}/, 'ID'));
    expect(keys).toEqual(['messages/10/ID.pdf', 'messages/10/ID', 'messages/10/ID']);
    expect([...w.rows.values()].map((r) => r.fileType)).toEqual(['file', 'file', 'file']);
  });

  it('answers 2009 for a non-member before storing anything', async () => {
    const w = world();
    expect(await code(w.service.uploadMessageFile(STRANGER, GROUP, 0, png()))).toBe(
      ErrorCode.PermissionDenied,
    );
    expect(w.objects.size + w.rows.size + w.work.messages.length).toBe(0);
  });

  it('checks the replied-to message: 5001 missing, 5004 elsewhere, 5003 revoked, before storing', async () => {
    const w = world();
    w.messages.set(501, { relationId: GROUP, isRevoke: false });
    w.messages.set(502, { relationId: FRIENDSHIP, isRevoke: true });
    expect(await code(w.service.uploadMessageFile(ME, FRIENDSHIP, 500, png()))).toBe(
      ErrorCode.MessageNotFound,
    );
    expect(await code(w.service.uploadMessageFile(ME, FRIENDSHIP, 501, png()))).toBe(
      ErrorCode.ReplyTargetElsewhere,
    );
    expect(await code(w.service.uploadMessageFile(ME, FRIENDSHIP, 502, png()))).toBe(
      ErrorCode.ReplyTargetRevoked,
    );
    expect(w.objects.size + w.rows.size + w.work.messages.length).toBe(0);
    await w.service.uploadMessageFile(ME, GROUP, 501, png());
    expect(w.work.messages.map((m) => m.rly_msg_id)).toEqual([501]);
  });

  it('answers 5001 after one look for a replied-to id from the future, or from long ago', async () => {
    const w = world();
    // Here an id is its time in ms: a minute ahead can be no message on its way.
    for (const rly of [Date.now() + 60_000, Number.MAX_SAFE_INTEGER, 500]) {
      w.lookups.count = 0;
      expect(await code(w.service.uploadMessageFile(ME, FRIENDSHIP, rly, png()))).toBe(
        ErrorCode.MessageNotFound,
      );
      expect(w.lookups.count).toBe(1);
    }
  });

  it('answers 8004 past the limit of the file’s kind (image or not)', async () => {
    const w = world();
    expect(await code(w.service.uploadMessageFile(ME, GROUP, 0, { ...png(), size: 101 }))).toBe(
      ErrorCode.FileTooLarge,
    );
    expect(await code(w.service.uploadMessageFile(ME, GROUP, 0, doc('a.txt', 51)))).toBe(
      ErrorCode.FileTooLarge,
    );
    // An image may be larger than the limit of other files.
    await w.service.uploadMessageFile(ME, GROUP, 0, { ...png(), size: 100 });
    expect(w.rows.size).toBe(1);
  });

  it('answers 8001 when the object cannot be stored, recording nothing', async () => {
    const w = world();
    w.fail.put = true;
    expect(await code(w.service.uploadMessageFile(ME, GROUP, 0, png()))).toBe(
      ErrorCode.FileStoreFailed,
    );
    expect(w.rows.size + w.work.messages.length).toBe(0);
  });

  it('answers 2009 and deletes the object when the uploader left before the record', async () => {
    const w = world();
    w.fail.leftMeanwhile = true;
    expect(await code(w.service.uploadMessageFile(ME, GROUP, 0, png()))).toBe(
      ErrorCode.PermissionDenied,
    );
    expect(w.objects.size + w.rows.size + w.work.messages.length).toBe(0);
  });

  it('deletes the object again when recording fails', async () => {
    const w = world();
    w.fail.record = true;
    await expect(w.service.uploadMessageFile(ME, GROUP, 0, png())).rejects.toThrow('database down');
    expect(w.objects.size + w.work.messages.length).toBe(0);
  });
});

describe('FileService reads', () => {
  const file = (
    purpose: FileRecord['purpose'],
    relationId: number | null,
  ): NewFile & { purpose: FileRecord['purpose']; relationId: number | null } => ({
    purpose,
    relationId,
    fileName: 'x.bin',
    fileType: 'file',
    fileSize: 3,
    key: `k/${purpose}`,
    url: `https://files/k/${purpose}`,
  });

  it('lists a relation’s files for members only (2009 otherwise)', async () => {
    const w = world();
    const row = w.insert(file('message', FRIENDSHIP), 'message', FRIENDSHIP, ME);
    expect(await w.service.getAll(ME, FRIENDSHIP)).toEqual({
      list: [expect.objectContaining({ file_id: row.id, account_id: ME, file_type: 'file' })],
      total: 1,
    });
    expect(await code(w.service.getAll(STRANGER, FRIENDSHIP))).toBe(ErrorCode.PermissionDenied);
  });

  it('shows a message file to members of its relation only, and avatars to anyone', async () => {
    const w = world();
    const message = w.insert(file('message', FRIENDSHIP), 'message', FRIENDSHIP, ME);
    const orphaned = w.insert(file('message', null), 'message', null, ME);
    const avatar = w.insert(file('group_avatar', GROUP), 'group_avatar', GROUP, ME);
    expect(await w.service.details(ME, message.id)).toMatchObject({ file_id: message.id });
    expect(await code(w.service.details(STRANGER, message.id))).toBe(ErrorCode.PermissionDenied);
    expect(await code(w.service.details(ME, orphaned.id))).toBe(ErrorCode.PermissionDenied);
    expect(await w.service.details(STRANGER, avatar.id)).toMatchObject({ file_id: avatar.id });
    expect(await code(w.service.details(ME, 424242))).toBe(ErrorCode.FileNotFound);
  });
});
