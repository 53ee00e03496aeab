export { ChatApi, type ChatApiOptions, type CallOptions, type HttpMethod } from './api';
export {
  ChatSocket,
  type ChatSocketOptions,
  type SocketState,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket';
export { ChatError, CLIENT_SIDE_CODES, type ChatErrorReason } from './errors';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export type {
  AuthResult,
  Envelope,
  List,
  MsgExtend,
  MsgInfo,
  MsgInfoWithRly,
  NotifyPush,
  PushEvents,
  ReadResult,
  SendMessageAck,
  SendMessageInput,
  SettingFriend,
  SyncedRelation,
  Token,
} from './types';
