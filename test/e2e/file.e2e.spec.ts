import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import { waitFor } from '@chat/testing';
import { createAccount, makeFriends, registerUser, type Actor } from './support/actors';
import { ok, type ApiClient, type Reply } from './support/http';
import { offSpellings } from './support/ids';
import { itWithSecondApi, startTargetStack, type TargetStack } from './support/target';
import { frame, PushWatch, toEach } from './support/push-watch';

/** Small limits, so the size cases stay cheap: images up to 40 KB, other files 2 KB. */
const MAX_IMAGE = 40_000;
const MAX_FILE = 2_000;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bytes that are a PNG by their content (the server judges by the signature only). */
const png = (size = 500) =>
  Buffer.concat([PNG_SIGNATURE, randomBytes(size - PNG_SIGNATURE.length)]);
const gif = (size = 300) => Buffer.concat([Buffer.from('GIF89a'), randomBytes(size - 6)]);
const text = (size = 100) => Buffer.alloc(size, 'a');

interface UploadOptions {
  relationId?: number | string;
  filename?: string;
  /** The client's declared type: the server must not trust it. */
  type?: string;
  field?: string;
  client?: ApiClient;
}

/**
 * File uploads, avatars, file listings and the orphan clean-up (docs/api.md §12, §14) against the
 * api running as its own process, files on local disk served by the api, with a persister,
 * notifier and two gateways for the pushes; or against the standalone server (E2E_TARGET),
 * which serves its files the same way. Pushes are read on sockets: two devices of the owner
 * (one per gateway), one of the other user's account.
 */
describe('files and avatars over REST', () => {
  let stack: TargetStack;
  let api: ApiClient;
  let dataDir: string;
  let owner: Actor; // leads the group
  let other: Actor; // another user's account: a member of nothing here
  let ownerUserToken: string;
  let groupId: number;
  let selfRelationId: number; // the owner's self conversation (a friend-type relation)
  let watch: PushWatch;
  const OWNER = ['owner1', 'owner2'];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'e2e-files-'));
    stack = await startTargetStack(
      'e2e_files',
      {
        // The upload limit has its own test, on an api of its own.
        LIMIT_API_LIMIT_UPLOAD: '[]',
        RULE_BIGGEST_IMAGE_SIZE: String(MAX_IMAGE),
        RULE_BIGGEST_FILE_SIZE: String(MAX_FILE),
        DATA_DIR: dataDir,
      },
      // The persister stores the "成为好友" message of the friendship made below on both
      // targets alike; the notifier and the gateways carry the pushes to the sockets.
      { gateways: 2, workers: true },
    );
    api = stack.api;
    const one = await registerUser(stack, 'files-one@example.com');
    const three = await registerUser(stack, 'files-three@example.com');
    ownerUserToken = one.token;
    owner = await createAccount(api, one.token, 'owner');
    other = await createAccount(api, three.token, 'other');
    selfRelationId = ok(
      await api.get('/api/account/info', { token: owner.token, query: { account_id: owner.id } }),
    ).relation_id;
    groupId = ok(
      await api.post('/api/group/create', {
        token: owner.token,
        body: { name: 'pictures', description: 'a group with an avatar' },
      }),
    ).relation_id;
    watch = await PushWatch.open(stack, [
      { name: 'owner1', token: owner.token },
      { name: 'owner2', token: owner.token },
      { name: 'other', token: other.token },
    ]);
  }, 180_000);

  afterAll(async () => {
    await watch?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Each test looks only at the pushes its own calls cause. */
  beforeEach(() => watch?.mark());

  /** `update_account` of docs/protocol.md §4 for an account made by `createAccount`. */
  const accountPush = (who: Actor, avatar: string) =>
    frame(PUSH_EVENTS.updateAccount, {
      account_id: who.id,
      name: who.name,
      gender: '未知',
      signature: `${who.name} here`,
      avatar,
    });

  async function upload(token: string | undefined, bytes: Buffer, o: UploadOptions = {}) {
    const form = new FormData();
    if (o.relationId !== undefined) form.set('relation_id', String(o.relationId));
    form.set(
      o.field ?? 'file',
      new Blob([bytes], { type: o.type ?? 'image/png' }),
      o.filename ?? 'a.png',
    );
    const res = await fetch(new URL('/api/file/avatar', (o.client ?? api).baseUrl), {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    return { http: res.status, ...((await res.json()) as object) } as Reply<{ url: string }>;
  }

  async function fetchBytes(url: string) {
    const res = await fetch(url);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: Buffer.from(await res.arrayBuffer()),
    };
  }

  const avatarOf = async (a: Actor) =>
    ok(await api.get('/api/account/info', { token: a.token, query: { account_id: a.id } })).avatar;
  const groupAvatar = async (a: Actor, relationId: number) =>
    ok(await api.get('/api/group/list', { token: a.token })).list.find(
      (g: { relation_id: number }) => g.relation_id === relationId,
    )?.group_info.avatar;
  const getAll = (a: Actor, relationId: number) =>
    api.post('/api/file/getall', { token: a.token, body: { relation_id: relationId } });
  const details = (a: Actor, fileId: number) =>
    api.post('/api/file/details', { token: a.token, body: { file_id: fileId } });

  describe('account avatars', () => {
    it('stores the caller’s avatar, serves the same bytes, and pushes update_account to it', async () => {
      const bytes = png(1500);
      const { url } = ok(await upload(owner.token, bytes, { filename: '头像.png' }));
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/avatars\/account\/\d+\/.+\.png$/);

      const served = await fetchBytes(url);
      expect(served.status).toBe(200);
      expect(served.type).toBe('image/png');
      expect(served.body.equals(bytes)).toBe(true);
      expect(await avatarOf(owner)).toBe(url);

      // The uploader's devices only; not the other user's account.
      await watch.expect(toEach(OWNER, accountPush(owner, url)));
    });

    it('deletes the replaced avatar’s object at once', async () => {
      const first = ok(await upload(owner.token, png())).url;
      const second = ok(
        await upload(owner.token, gif(), { filename: 'b.gif', type: 'image/gif' }),
      ).url;
      expect(second).not.toBe(first);
      expect(second).toMatch(/\.gif$/);
      expect((await fetchBytes(first)).status).toBe(404);
      expect((await fetchBytes(second)).type).toBe('image/gif');
      expect(await avatarOf(owner)).toBe(second);
      // One push per change, in order: one account's pushes share a bus key.
      await watch.expect(toEach(OWNER, accountPush(owner, first), accountPush(owner, second)));
    });

    it('judges the file by its content, not by the type or name the client gives', async () => {
      const disguised = await upload(owner.token, text(50), {
        type: 'image/png',
        filename: 'x.png',
      });
      expect(disguised.status_code).toBe(ErrorCode.InvalidParams);
      const plain = ok(await upload(owner.token, png(), { type: 'text/plain', filename: 'x.txt' }));
      expect((await fetchBytes(plain.url)).type).toBe('image/png');
      // The refused upload pushed nothing: it would have come first, on the same bus key.
      await watch.expect(toEach(OWNER, accountPush(owner, plain.url)));
    });

    it('answers 8004 for an image over Rule.BiggestImageSize and accepts one of exactly that size', async () => {
      const before = await avatarOf(owner);
      const tooBig = await upload(owner.token, png(MAX_IMAGE + 1));
      expect(tooBig.status_code).toBe(ErrorCode.FileTooLarge);
      expect(await avatarOf(owner)).toBe(before);
      const wayTooBig = await upload(owner.token, png(MAX_IMAGE * 5));
      expect(wayTooBig.status_code).toBe(ErrorCode.FileTooLarge);
      const exact = ok(await upload(owner.token, png(MAX_IMAGE)));
      expect((await fetchBytes(exact.url)).body.length).toBe(MAX_IMAGE);
      await watch.expect(toEach(OWNER, accountPush(owner, exact.url)));
    });

    it('answers 1001 for a non-image, large or small, and for malformed uploads', async () => {
      expect((await upload(owner.token, text(10))).status_code).toBe(ErrorCode.InvalidParams);
      expect((await upload(owner.token, text(MAX_IMAGE * 3))).status_code).toBe(
        ErrorCode.InvalidParams,
      );
      expect((await upload(owner.token, Buffer.alloc(0))).status_code).toBe(
        ErrorCode.InvalidParams,
      );
      expect((await upload(owner.token, png(), { field: 'picture' })).status_code).toBe(
        ErrorCode.InvalidParams,
      );
      expect((await upload(owner.token, png(), { relationId: 'abc' })).status_code).toBe(
        ErrorCode.InvalidParams,
      );
      const json = await api.post('/api/file/avatar', { token: owner.token, body: { file: 'x' } });
      expect(json.status_code).toBe(ErrorCode.InvalidParams);
      const truncated = await fetch(new URL('/api/file/avatar', api.baseUrl), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${owner.token}`,
          'content-type': 'multipart/form-data; boundary=xyz',
        },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG',
      });
      expect(((await truncated.json()) as Reply).status_code).toBe(ErrorCode.InvalidParams);
      // The api is still there.
      expect(ok(await api.get('/api/ping'))).toBe('pang');
      await watch.expectNothing();
    });

    it('requires an account token', async () => {
      expect((await upload(undefined, png())).status_code).toBe(ErrorCode.AuthMissing);
      expect((await upload(ownerUserToken, png())).status_code).toBe(ErrorCode.AuthFailed);
      await watch.expectNothing();
    });
  });

  describe('group avatars and file listings', () => {
    let groupAvatarFileId: number;

    it('replaces the group avatar, served and shown in the group, with no push', async () => {
      const bytes = png(2000);
      const { url } = ok(await upload(owner.token, bytes, { relationId: groupId }));
      expect(url).toMatch(new RegExp(`/files/avatars/group/${groupId}/`));
      expect((await fetchBytes(url)).body.equals(bytes)).toBe(true);
      expect(await groupAvatar(owner, groupId)).toBe(url);
      // No push (docs/api.md §12), not even to the uploader, the group's one member.
      await watch.expectNothing();
    });

    it('deletes the group’s previous avatar object when it is replaced', async () => {
      const first = ok(await upload(owner.token, png(), { relationId: groupId })).url;
      const second = ok(await upload(owner.token, png(), { relationId: groupId })).url;
      expect((await fetchBytes(first)).status).toBe(404);
      expect(await groupAvatar(owner, groupId)).toBe(second);
      await watch.expectNothing();
    });

    it('answers 4002 for a conversation that is not a group, or a missing one', async () => {
      expect((await upload(owner.token, png(), { relationId: selfRelationId })).status_code).toBe(
        ErrorCode.RelationNotFound,
      );
      expect((await upload(owner.token, png(), { relationId: 987654321 })).status_code).toBe(
        ErrorCode.RelationNotFound,
      );
    });

    it('lists the group’s files for members, newest first, from the body or the query', async () => {
      const all = ok(await getAll(owner, groupId));
      expect(all.total).toBe(1);
      expect(all.list).toEqual([
        {
          file_id: expect.any(Number),
          file_name: 'a.png',
          file_type: 'img',
          file_size: 500,
          url: await groupAvatar(owner, groupId),
          account_id: owner.id,
          create_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
      ]);
      groupAvatarFileId = all.list[0].file_id;
      const viaQuery = ok(
        await api.post('/api/file/getall', { token: owner.token, query: { relation_id: groupId } }),
      );
      expect(viaQuery).toEqual(all);
      expect(ok(await getAll(owner, selfRelationId))).toEqual({ list: [], total: 0 });
    });

    it('shows a file’s details, and answers 8002 for a missing one', async () => {
      const file = ok(await details(owner, groupAvatarFileId));
      expect(file).toMatchObject({
        file_id: groupAvatarFileId,
        file_type: 'img',
        account_id: owner.id,
      });
      const viaQuery = ok(
        await api.post('/api/file/details', {
          token: owner.token,
          query: { file_id: groupAvatarFileId },
        }),
      );
      expect(viaQuery).toEqual(file);
      // Avatars are readable by anyone (docs/api.md §12).
      expect(ok(await details(other, groupAvatarFileId))).toEqual(file);
      expect((await details(owner, 987654321)).status_code).toBe(ErrorCode.FileNotFound);
      expect((await details(owner, 0)).status_code).toBe(ErrorCode.InvalidParams);
    });
    it('takes ids given as text, in the query string or a field, in canonical digits only', async () => {
      const avatarBefore = await groupAvatar(owner, groupId);
      const listing = ok(await getAll(owner, groupId));
      /** A multipart post of a small PNG with these form fields and this query string. */
      const postForm = async (
        path: string,
        fields: Record<string, string>,
        query: Record<string, string> = {},
      ) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(fields)) form.set(k, v);
        form.set('file', new Blob([png()], { type: 'image/png' }), 'b.png');
        const url = new URL(path, api.baseUrl);
        for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
        const res = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${owner.token}` },
          body: form,
        });
        return (await res.json()) as Reply;
      };
      const refused = (r: Reply, field: string) =>
        expect([r.status_code, r.status_msg]).toEqual([
          ErrorCode.InvalidParams,
          expect.stringMatching(new RegExp(`^parameters not valid: ${field}: `)),
        ]);
      for (const spelling of offSpellings(groupId)) {
        const query = { relation_id: spelling };
        refused(await api.post('/api/file/getall', { token: owner.token, query }), 'relation_id');
        const body = { relation_id: spelling };
        refused(await api.post('/api/file/getall', { token: owner.token, body }), 'relation_id');
        refused(await postForm('/api/msg/file', { relation_id: spelling }), 'relation_id');
        // Absent, empty and 0 mean the caller's own avatar; every other non-id is refused.
        if (spelling !== '' && spelling !== '0') {
          refused(await postForm('/api/file/avatar', { relation_id: spelling }), 'relation_id');
          refused(await postForm('/api/file/avatar', {}, query), 'relation_id');
        }
      }
      for (const spelling of offSpellings(groupAvatarFileId)) {
        refused(
          await api.post('/api/file/details', {
            token: owner.token,
            query: { file_id: spelling },
          }),
          'file_id',
        );
      }
      for (const spelling of offSpellings(987654321)) {
        if (spelling === '' || spelling === '0') continue;
        refused(
          await postForm('/api/msg/file', {
            relation_id: String(selfRelationId),
            rly_msg_id: spelling,
          }),
          'rly_msg_id',
        );
      }
      // Nothing changed: the group's avatar and files are as they were.
      expect(await groupAvatar(owner, groupId)).toBe(avatarBefore);
      expect(ok(await getAll(owner, groupId))).toEqual(listing);

      // The canonical digits are the id, in the query string, the body or a field.
      expect(
        ok(
          await api.post('/api/file/getall', {
            token: owner.token,
            body: { relation_id: String(groupId) },
          }),
        ),
      ).toEqual(listing);
      expect(
        ok(
          await api.post('/api/file/details', {
            token: owner.token,
            body: { file_id: String(groupAvatarFileId) },
          }),
        ),
      ).toMatchObject({ file_id: groupAvatarFileId });
      // The reply target is looked up: a message that does not exist is 5001, not 1001.
      const noSuchReply = await postForm('/api/msg/file', {
        relation_id: String(selfRelationId),
        rly_msg_id: '987654321',
      });
      expect(noSuchReply.status_code).toBe(ErrorCode.MessageNotFound);
      const { url } = ok(await postForm('/api/file/avatar', {}, { relation_id: String(groupId) }));
      expect(url).toMatch(new RegExp(`/files/avatars/group/${groupId}/`));
      expect(await groupAvatar(owner, groupId)).toBe(url);
    });
  });

  // Needs friend requests (docs/api.md §8): a plain member joins through a friend's invitation.
  describe('a plain group member', () => {
    let member: Actor;
    let friendshipId: number;

    beforeAll(async () => {
      watch.mark();
      const two = await registerUser(stack, 'files-two@example.com');
      member = await createAccount(api, two.token, 'member');
      await watch.add({ name: 'member', token: member.token });
      friendshipId = await makeFriends(api, owner, member);
      ok(
        await api.post('/api/group/invite', {
          token: owner.token,
          body: { relation_id: groupId, account_id: [member.id] },
        }),
      );
      // The befriending (the application made and accepted, the first message; checked in the
      // social suite) and the new member, to both before the tests start.
      await watch.expect(
        toEach(
          [...OWNER, 'member'],
          frame(PUSH_EVENTS.application, expect.anything()),
          frame(PUSH_EVENTS.application, expect.anything()),
          frame(PUSH_EVENTS.sendMsg, expect.anything()),
          frame(PUSH_EVENTS.groupNewAccount, { relation_id: groupId, account_id: member.id }),
        ),
      );
    }, 60_000);

    it('may replace the group avatar and list the group’s files', async () => {
      const { url } = ok(await upload(member.token, png(700), { relationId: groupId }));
      expect(await groupAvatar(owner, groupId)).toBe(url);
      expect(ok(await getAll(member, groupId)).list).toEqual([
        expect.objectContaining({ url, account_id: member.id, file_size: 700 }),
      ]);
      // A group avatar pushes nothing, to the uploader or to the other members.
      await watch.expectNothing();
    });

    it('gets 4002 for a friendship and sees its (empty) file list', async () => {
      expect((await upload(member.token, png(), { relationId: friendshipId })).status_code).toBe(
        ErrorCode.RelationNotFound,
      );
      expect(ok(await getAll(member, friendshipId))).toEqual({ list: [], total: 0 });
      await watch.expectNothing();
    });

    it('is the only one besides the owner who can list the friendship’s files', async () => {
      expect((await getAll(other, friendshipId)).status_code).toBe(ErrorCode.PermissionDenied);
      expect((await upload(other.token, png(), { relationId: friendshipId })).status_code).toBe(
        ErrorCode.RelationNotFound,
      );
      await watch.expectNothing();
    });
  });

  describe('another user’s account', () => {
    it('cannot list the files of conversations it is not in', async () => {
      for (const relationId of [groupId, selfRelationId]) {
        const r = await getAll(other, relationId);
        expect({ relationId, code: r.status_code }).toEqual({
          relationId,
          code: ErrorCode.PermissionDenied,
        });
        expect(r.data).toBeUndefined();
      }
    });

    it('cannot replace the avatar of a group it is not in, nor of another conversation', async () => {
      const before = await groupAvatar(owner, groupId);
      expect((await upload(other.token, png(), { relationId: groupId })).status_code).toBe(
        ErrorCode.NotGroupMember,
      );
      expect((await upload(other.token, png(), { relationId: selfRelationId })).status_code).toBe(
        ErrorCode.RelationNotFound,
      );
      expect(await groupAvatar(owner, groupId)).toBe(before);
      await watch.expectNothing();
    });

    it('changes only its own avatar when it uploads one', async () => {
      const ownerBefore = await avatarOf(owner);
      const { url } = ok(await upload(other.token, png()));
      expect(await avatarOf(other)).toBe(url);
      expect(await avatarOf(owner)).toBe(ownerBefore);
      // Its own device only: not the owner's, nor those of the group it is not in.
      await watch.expect({ other: [accountPush(other, url)] });
    });

    it('cannot use the file endpoints with its user token or without a token', async () => {
      const three = await registerUser(stack, 'files-four@example.com');
      expect(
        (await api.post('/api/file/getall', { token: three.token, body: { relation_id: groupId } }))
          .status_code,
      ).toBe(ErrorCode.AuthFailed);
      expect((await api.post('/api/file/details', { body: { file_id: 1 } })).status_code).toBe(
        ErrorCode.AuthMissing,
      );
      await watch.expectNothing();
    });
  });

  // Both need a second api on the suite's database: distributed target only.
  itWithSecondApi('answers 1004 past the upload limit (Limit.APILimit.Upload)', async () => {
    // One upload per hour: the second is refused whatever the machine's speed.
    const { client, app } = await stack.startApi({
      LIMIT_API_LIMIT_UPLOAD: '[{"Count":1,"Window":"1h"}]',
    });
    try {
      // Its urls name this api's port: on local disk, several apis share Server.PublicUrl.
      const { url } = ok(await upload(other.token, png(), { client }));
      const refused = await upload(other.token, png(), { client });
      expect(refused.status_code).toBe(ErrorCode.TooManyRequests);
      await watch.expect({ other: [accountPush(other, url)] });
      // Only uploads are limited.
      ok(
        await client.post('/api/file/getall', {
          token: owner.token,
          body: { relation_id: groupId },
        }),
      );
    } finally {
      await app.stop();
    }
  });

  itWithSecondApi('the clean-up job deletes orphaned avatars, object and row', async () => {
    // An account avatar orphaned by deleting its account.
    const doomed = await createAccount(api, ownerUserToken, 'doomed');
    const accountAvatar = ok(await upload(doomed.token, png())).url;
    ok(
      await api.delete('/api/account/delete', {
        token: ownerUserToken,
        body: { account_id: doomed.id },
      }),
    );
    // A group avatar orphaned by dissolving its group.
    const shortLived = ok(
      await api.post('/api/group/create', {
        token: owner.token,
        body: { name: 'short-lived', description: 'dissolved soon' },
      }),
    ).relation_id;
    const groupAvatarUrl = ok(await upload(owner.token, png(), { relationId: shortLived })).url;
    const [file] = ok(await getAll(owner, shortLived)).list;
    ok(
      await api.post('/api/group/dissolve', {
        token: owner.token,
        body: { relation_id: shortLived },
      }),
    );
    // The deleted account had no device; its sibling, the owner, hears only of the group's end.
    await watch.expect(
      toEach(OWNER, frame(PUSH_EVENTS.groupDissolved, { relation_id: shortLived })),
    );

    // Orphans stay until the job runs (the main api runs it every 12 h).
    expect((await fetchBytes(accountAvatar)).status).toBe(200);
    expect(ok(await details(owner, file.file_id)).url).toBe(groupAvatarUrl);
    const liveAvatar = await avatarOf(owner);

    // An api whose clean-up runs every second.
    const { app } = await stack.startApi({ AUTO_DELETE_EXPIRED_FILE_DURATION: '1s' });
    try {
      await waitFor(
        async () => (await details(owner, file.file_id)).status_code === ErrorCode.FileNotFound,
        {
          timeoutMs: 30_000,
          what: 'the orphaned group avatar row to be deleted',
        },
      );
      await waitFor(async () => (await fetchBytes(accountAvatar)).status === 404, {
        timeoutMs: 30_000,
        what: 'the orphaned account avatar object to be deleted',
      });
      expect((await fetchBytes(groupAvatarUrl)).status).toBe(404);
      // Live avatars are untouched.
      expect((await fetchBytes(liveAvatar)).status).toBe(200);
      expect(app.output()).toContain('orphan file clean-up finished');
    } finally {
      await app.stop();
    }
  });
});
