export { ChatApi, type ChatApiOptions, type CallOptions, type HttpMethod } from './api';
export {
  ROUTES,
  routeList,
  type Area,
  type AreaClient,
  type RouteAuth,
  type RouteInfo,
  type RouteInput,
  type RouteInputPlace,
  type RouteReply,
  type RouteTable,
  type RouteTypes,
  type Upload,
} from './endpoints';
export {
  ChatClient,
  type ChatClientOptions,
  type ConversationCursor,
  type ConversationState,
  type HistoryStart,
  type MessageChange,
  type MessageChangeHandler,
  type MessageHandler,
  type ReadHandler,
  type SwitchAccountOptions,
} from './client';
export {
  ChatSocket,
  type ChatSocketOptions,
  type SocketState,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket';
export { TypingIndicators } from './typing';
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
