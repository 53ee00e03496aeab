import type {
  FileSchemas,
  GroupSchemas,
  MessageSchemas,
  PushSchemas,
  SocialSchemas,
  UserAccountSchemas,
} from '@chat/protocol';
import type { z } from 'zod';
import type { HttpMethod } from './api';

/**
 * Every REST route of docs/api.md with its SDK method, and the request and reply types of each,
 * taken from the zod schemas the server validates with and documents (libs/protocol/src/api).
 * The route list is checked against the server's OpenAPI document by the integration test, so
 * a route added to the server without a method here fails it.
 */

/** Who must call a route (docs/api.md §1.4): nobody, a user token, an account token. */
export type RouteAuth = 'none' | 'user' | 'account';

/**
 * Where the SDK puts a route's input (docs/api.md §1.3). Routes the server reads from the
 * query string and body merged take theirs in the body, save `DELETE`s (many proxies drop a
 * `DELETE` body), which take it in the query string.
 */
export type RouteInputPlace = 'query' | 'body' | 'none' | 'multipart';

export interface RouteInfo {
  method: HttpMethod;
  path: string;
  auth: RouteAuth;
  input: RouteInputPlace;
}

const r = <M extends HttpMethod, P extends string, A extends RouteAuth, I extends RouteInputPlace>(
  method: M,
  path: P,
  auth: A,
  input: I,
) => ({ method, path, auth, input });

/** Every route, by its SDK method: `api.<area>.<method>`. */
export const ROUTES = {
  misc: {
    ping: r('GET', '/api/ping', 'none', 'none'),
  },
  user: {
    register: r('POST', '/api/user/register', 'none', 'body'),
    login: r('POST', '/api/user/login', 'none', 'body'),
    updateEmail: r('PUT', '/api/user/update/email', 'user', 'body'),
    updatePassword: r('PUT', '/api/user/update/pwd', 'user', 'body'),
    logout: r('POST', '/api/user/logout', 'user', 'none'),
    delete: r('DELETE', '/api/user/delete', 'user', 'none'),
  },
  email: {
    exists: r('GET', '/api/email/exist', 'none', 'query'),
    sendCode: r('POST', '/api/email/send', 'none', 'body'),
  },
  account: {
    create: r('POST', '/api/account/create', 'user', 'body'),
    token: r('GET', '/api/account/token', 'user', 'query'),
    delete: r('DELETE', '/api/account/delete', 'user', 'query'),
    listOfUser: r('GET', '/api/account/infos/user', 'user', 'none'),
    logout: r('POST', '/api/account/logout', 'account', 'none'),
    update: r('PUT', '/api/account/update', 'account', 'body'),
    info: r('GET', '/api/account/info', 'account', 'query'),
    searchByName: r('GET', '/api/account/infos/name', 'account', 'query'),
  },
  application: {
    create: r('POST', '/api/application/create', 'account', 'body'),
    delete: r('DELETE', '/api/application/delete', 'account', 'query'),
    accept: r('PUT', '/api/application/accept', 'account', 'body'),
    refuse: r('PUT', '/api/application/refuse', 'account', 'body'),
    list: r('GET', '/api/application/list', 'account', 'query'),
  },
  setting: {
    pins: r('GET', '/api/setting/pins', 'account', 'none'),
    shows: r('GET', '/api/setting/shows', 'account', 'none'),
    updateNickName: r('PUT', '/api/setting/update/nick_name', 'account', 'body'),
    updatePin: r('PUT', '/api/setting/update/pin', 'account', 'body'),
    updateDisturb: r('PUT', '/api/setting/update/disturb', 'account', 'body'),
    updateShow: r('PUT', '/api/setting/update/show', 'account', 'body'),
    presence: r('GET', '/api/setting/presence', 'account', 'none'),
    updatePresence: r('PUT', '/api/setting/presence', 'account', 'body'),
    friendList: r('GET', '/api/setting/friend/list', 'account', 'none'),
    friendDelete: r('DELETE', '/api/setting/friend/delete', 'account', 'query'),
    friendByName: r('GET', '/api/setting/friend/name', 'account', 'query'),
    blockAdd: r('POST', '/api/setting/block/add', 'account', 'body'),
    blockDelete: r('DELETE', '/api/setting/block/delete', 'account', 'query'),
    blockList: r('GET', '/api/setting/block/list', 'account', 'query'),
  },
  group: {
    create: r('POST', '/api/group/create', 'account', 'body'),
    transfer: r('POST', '/api/group/transfer', 'account', 'body'),
    dissolve: r('POST', '/api/group/dissolve', 'account', 'body'),
    update: r('POST', '/api/group/update', 'account', 'body'),
    invite: r('POST', '/api/group/invite', 'account', 'body'),
    quit: r('POST', '/api/group/quit', 'account', 'body'),
    list: r('GET', '/api/group/list', 'account', 'none'),
    searchByName: r('POST', '/api/group/name', 'account', 'body'),
    members: r('GET', '/api/group/members', 'account', 'query'),
    mute: r('POST', '/api/group/mute', 'account', 'body'),
    unmute: r('POST', '/api/group/unmute', 'account', 'body'),
  },
  msg: {
    sendFile: r('POST', '/api/msg/file', 'account', 'multipart'),
    listByTime: r('GET', '/api/msg/list/time', 'account', 'query'),
    feed: r('GET', '/api/msg/list/feed', 'account', 'query'),
    pinned: r('GET', '/api/msg/list/pin', 'account', 'query'),
    replies: r('GET', '/api/msg/list/rly', 'account', 'query'),
    search: r('GET', '/api/msg/list/content', 'account', 'query'),
    top: r('GET', '/api/msg/info/top', 'account', 'query'),
    sync: r('POST', '/api/msg/sync', 'account', 'body'),
    updatePin: r('PUT', '/api/msg/update/pin', 'account', 'body'),
    updateTop: r('PUT', '/api/msg/update/top', 'account', 'body'),
    revoke: r('PUT', '/api/msg/update/revoke', 'account', 'body'),
    edit: r('PUT', '/api/msg/update/edit', 'account', 'body'),
    react: r('PUT', '/api/msg/update/reaction', 'account', 'body'),
    mentions: r('GET', '/api/msg/list/mention', 'account', 'query'),
  },
  file: {
    list: r('POST', '/api/file/getall', 'account', 'body'),
    uploadAvatar: r('POST', '/api/file/avatar', 'account', 'multipart'),
    details: r('POST', '/api/file/details', 'account', 'body'),
  },
  notify: {
    create: r('POST', '/api/notify/create', 'account', 'body'),
    update: r('POST', '/api/notify/update', 'account', 'body'),
    list: r('GET', '/api/notify/getnotify', 'account', 'query'),
    delete: r('GET', '/api/notify/delete', 'account', 'query'),
  },
  push: {
    register: r('POST', '/api/push/register', 'account', 'body'),
    unregister: r('DELETE', '/api/push/unregister', 'account', 'query'),
    devices: r('GET', '/api/push/devices', 'account', 'none'),
    settings: r('GET', '/api/push/settings', 'account', 'none'),
    updateSettings: r('PUT', '/api/push/settings', 'account', 'body'),
  },
} as const satisfies Record<string, Record<string, RouteInfo>>;

export type RouteTable = typeof ROUTES;
export type Area = keyof RouteTable;

// ——— request and reply types, from the server's zod schemas ———

type UA = UserAccountSchemas;
type SO = SocialSchemas;
type GR = GroupSchemas;
type MS = MessageSchemas;
type FI = FileSchemas;
type PU = PushSchemas;

/** A JSON body as the schema takes it. */
type Body<S extends z.ZodType> = z.input<S>;

/**
 * Query-string input: each value is written as text, so numbers are accepted where the schema
 * reads digits (`last_time`), and the lenient paging fields (docs/api.md §1.3) are numbers.
 */
type Query<S extends z.ZodType> = {
  [K in keyof z.input<S>]: unknown extends z.input<S>[K]
    ? number
    : z.input<S>[K] extends string
      ? string | number
      : z.input<S>[K];
};

/** A reply's `data` as the server sends it. */
type Reply<S extends z.ZodType> = z.output<S>;

/** A file for a multipart upload: a `Blob` (or `File`), with the file name to send. */
export interface Upload {
  file: Blob;
  /** The file name sent with the part; a `File`'s own name, else `file`. */
  fileName?: string;
}

/** What each route takes (`void`: nothing) and answers (`void`: no data, docs/api.md §1.1). */
export interface RouteTypes {
  misc: { ping: [void, string] };
  user: {
    register: [Body<UA['register']['body']>, Reply<UA['register']['reply']>];
    login: [Body<UA['login']['body']>, Reply<UA['login']['reply']>];
    updateEmail: [Body<UA['updateEmail']['body']>, void];
    updatePassword: [Body<UA['updatePassword']['body']>, void];
    logout: [void, void];
    delete: [void, void];
  };
  email: {
    exists: [Query<UA['emailExist']['query']>, Reply<UA['emailExist']['reply']>];
    sendCode: [Body<UA['emailSend']['body']>, void];
  };
  account: {
    create: [Body<UA['accountCreate']['body']>, Reply<UA['accountCreate']['reply']>];
    token: [Query<UA['accountToken']['query']>, Reply<UA['accountToken']['reply']>];
    delete: [Query<UA['accountDelete']['input']>, void];
    listOfUser: [void, Reply<UA['accountsOfUser']['reply']>];
    logout: [void, void];
    update: [Body<UA['accountUpdate']['body']>, void];
    info: [Query<UA['accountInfo']['query']>, Reply<UA['accountInfo']['reply']>];
    searchByName: [Query<UA['accountsByName']['query']>, Reply<UA['accountsByName']['reply']>];
  };
  application: {
    create: [Body<SO['applicationCreate']['body']>, Reply<SO['applicationCreate']['reply']>];
    delete: [Query<SO['applicationDelete']['input']>, Reply<SO['applicationDelete']['reply']>];
    accept: [Body<SO['applicationAccept']['body']>, Reply<SO['applicationAccept']['reply']>];
    refuse: [Body<SO['applicationRefuse']['body']>, Reply<SO['applicationRefuse']['reply']>];
    list: [Query<SO['applicationList']['query']>, Reply<SO['applicationList']['reply']>];
  };
  setting: {
    pins: [void, Reply<SO['settingPins']['reply']>];
    shows: [void, Reply<SO['settingShows']['reply']>];
    updateNickName: [Body<SO['updateNickName']['body']>, Reply<SO['updateNickName']['reply']>];
    updatePin: [Body<SO['updatePin']['body']>, Reply<SO['updatePin']['reply']>];
    updateDisturb: [Body<SO['updateDisturb']['body']>, Reply<SO['updateDisturb']['reply']>];
    updateShow: [Body<SO['updateShow']['body']>, Reply<SO['updateShow']['reply']>];
    presence: [void, Reply<SO['presence']['reply']>];
    updatePresence: [Body<SO['presence']['body']>, Reply<SO['presence']['reply']>];
    friendList: [void, Reply<SO['friendList']['reply']>];
    friendDelete: [Query<SO['friendDelete']['input']>, Reply<SO['friendDelete']['reply']>];
    friendByName: [Query<SO['friendByName']['query']>, Reply<SO['friendByName']['reply']>];
    blockAdd: [Body<SO['blockAdd']['body']>, Reply<SO['blockAdd']['reply']>];
    blockDelete: [Query<SO['blockDelete']['input']>, Reply<SO['blockDelete']['reply']>];
    blockList: [Query<SO['blockList']['query']>, Reply<SO['blockList']['reply']>];
  };
  group: {
    create: [Body<GR['groupCreate']['body']>, Reply<GR['groupCreate']['reply']>];
    transfer: [Body<GR['groupTransfer']['body']>, Reply<GR['groupTransfer']['reply']>];
    dissolve: [Body<GR['groupDissolve']['body']>, Reply<GR['groupDissolve']['reply']>];
    update: [Body<GR['groupUpdate']['body']>, Reply<GR['groupUpdate']['reply']>];
    invite: [Body<GR['groupInvite']['body']>, Reply<GR['groupInvite']['reply']>];
    quit: [Body<GR['groupQuit']['body']>, Reply<GR['groupQuit']['reply']>];
    list: [void, Reply<GR['groupList']['reply']>];
    searchByName: [Query<GR['groupByName']['input']>, Reply<GR['groupByName']['reply']>];
    members: [Query<GR['groupMembers']['query']>, Reply<GR['groupMembers']['reply']>];
    mute: [Body<GR['groupMute']['body']>, Reply<GR['groupMute']['reply']>];
    unmute: [Body<GR['groupUnmute']['body']>, Reply<GR['groupUnmute']['reply']>];
  };
  msg: {
    sendFile: [Query<FI['messageFile']['fields']> & Upload, Reply<FI['messageFile']['reply']>];
    listByTime: [Query<MS['listTime']['query']>, Reply<MS['listTime']['reply']>];
    feed: [Query<MS['listFeed']['query']>, Reply<MS['listFeed']['reply']>];
    pinned: [Query<MS['listPin']['query']>, Reply<MS['listPin']['reply']>];
    replies: [Query<MS['listRly']['query']>, Reply<MS['listRly']['reply']>];
    search: [Query<MS['listContent']['query']>, Reply<MS['listContent']['reply']>];
    /** No data (`undefined`) when the conversation has no top message. */
    top: [Query<MS['infoTop']['query']>, Reply<MS['infoTop']['reply']> | undefined];
    sync: [Body<MS['sync']['body']>, Reply<MS['sync']['reply']>];
    updatePin: [Body<MS['updatePin']['body']>, void];
    updateTop: [Body<MS['updateTop']['body']>, void];
    revoke: [Body<MS['updateRevoke']['body']>, void];
    edit: [Body<MS['updateEdit']['body']>, void];
    react: [Body<MS['updateReaction']['body']>, void];
    mentions: [Query<MS['listMention']['query']>, Reply<MS['listMention']['reply']>];
  };
  file: {
    list: [Body<FI['getAll']['input']>, Reply<FI['getAll']['reply']>];
    uploadAvatar: [Query<FI['avatar']['fields']> & Upload, Reply<FI['avatar']['reply']>];
    details: [Body<FI['details']['input']>, Reply<FI['details']['reply']>];
  };
  notify: {
    create: [Body<GR['notifyCreate']['body']>, Reply<GR['notifyCreate']['reply']>];
    update: [Body<GR['notifyUpdate']['body']>, Reply<GR['notifyUpdate']['reply']>];
    list: [Query<GR['notifyList']['query']>, Reply<GR['notifyList']['reply']>];
    delete: [Query<GR['notifyDelete']['query']>, void];
  };
  push: {
    register: [Body<PU['register']['body']>, Reply<PU['register']['reply']>];
    unregister: [Query<PU['unregister']['query']>, Reply<PU['unregister']['reply']>];
    devices: [void, Reply<PU['list']['reply']>];
    settings: [void, Reply<PU['settings']['reply']>];
    updateSettings: [Body<PU['updateSettings']['body']>, Reply<PU['updateSettings']['reply']>];
  };
}

/** The input of `api.<area>.<method>`. */
export type RouteInput<
  A extends Area,
  M extends keyof RouteTable[A] & keyof RouteTypes[A],
> = RouteTypes[A][M] extends [infer I, unknown] ? I : never;

/** The reply data of `api.<area>.<method>`. */
export type RouteReply<
  A extends Area,
  M extends keyof RouteTable[A] & keyof RouteTypes[A],
> = RouteTypes[A][M] extends [unknown, infer O] ? O : never;

/**
 * One method: a route that needs a token takes it first; a route that takes input takes it
 * next. A user route needs a user token, an account route an account token (docs/api.md §1.4).
 */
type Method<Info extends RouteInfo, T> = T extends [infer I, infer O]
  ? Info['auth'] extends 'none'
    ? [I] extends [void]
      ? () => Promise<O>
      : (input: I) => Promise<O>
    : [I] extends [void]
      ? (token: string) => Promise<O>
      : (token: string, input: I) => Promise<O>
  : never;

/** `api.<area>`: one method per route of the area. */
export type AreaClient<A extends Area> = {
  [M in keyof RouteTable[A] & keyof RouteTypes[A]]: RouteTable[A][M] extends RouteInfo
    ? Method<RouteTable[A][M], RouteTypes[A][M]>
    : never;
};

/** Fails to compile when an area of ROUTES has a method without types, or the reverse. */
type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type Assert<T extends true> = T;
export type _AllRoutesTyped = Assert<{ [A in Area]: SameKeys<RouteTable[A], RouteTypes[A]> }[Area]>;

/** Every route as `METHOD /path` with its SDK method name, for comparing with the server's. */
export function routeList(): { name: string; method: HttpMethod; path: string; auth: RouteAuth }[] {
  return Object.entries(ROUTES).flatMap(([area, methods]) =>
    Object.entries(methods as Record<string, RouteInfo>).map(([name, info]) => ({
      name: `${area}.${name}`,
      method: info.method,
      path: info.path,
      auth: info.auth,
    })),
  );
}
