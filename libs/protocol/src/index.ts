export { ErrorCode, ERROR_MESSAGES } from './error-codes';
export {
  AppError,
  InvalidInputError,
  PermissionDeniedError,
  InfrastructureError,
} from './app-error';
export { GROUPS, TOPICS, QUEUES, pushTopic, type TopicName } from './topics';
export {
  emailJobSchema,
  verificationCodeEmailJob,
  type EmailJob,
  type VerificationCodeEmailJob,
} from './jobs';
export {
  text,
  storableString,
  unstorableText,
  id,
  queryId,
  ID_DIGITS,
  email,
  gender,
  GENDERS,
  paging,
  MAX_ID,
} from './api/fields';
export {
  userAccountSchemas,
  TokenOut,
  UserInfoOut,
  AccountInfoOut,
  type InputLimits,
  type UserAccountSchemas,
} from './api/schemas';
export { PUSH_EVENTS, CLOSE_CODES, type PushEventName, type ChatEvent, type Push } from './events';
export {
  SYSTEM_TEXTS,
  DEAD_LETTER_HEADERS,
  type MessageRecord,
  type MsgExtend,
  type DeadLetterReason,
} from './records';
export type { ReadRecord, StoredRecord, DeliveryRecord } from './records';
export {
  CLIENT_EVENTS,
  CLIENT_DATA,
  requestFrame,
  authData,
  sendMsgData,
  readMsgData,
  msgExtend,
  type ClientEvent,
  type RequestFrame,
  type SendMsgData,
  type ReadMsgData,
  type ReplyFrame,
  type PushFrame,
  typingData,
  presenceSubscribeData,
  presenceUnsubscribeData,
  presenceHiddenData,
  PRESENCE_SUBSCRIBE_MAX,
  PRESENCE_SUBSCRIPTIONS_MAX,
  TYPING_REFRESH_MS,
  TYPING_EXPIRE_MS,
  TYPING_MIN_INTERVAL_MS,
  type TypingData,
  type PresenceSubscribeData,
  type PresenceUnsubscribeData,
  type PresenceHiddenData,
} from './ws/frames';
export { presenceChangedSchema, type PresenceChangedRecord } from './ws/presence-record';
export {
  PUSH_DATA,
  REPLY_DATA,
  RETRY_LATER_DATA,
  MUTED_DATA,
  NotifyPushOut,
  PresenceStateOut,
  type PushData,
  type ReplyData,
  type TypedPushFrame,
} from './ws/pushes';
export {
  messageSchemas,
  MsgInfoOut,
  MsgInfoWithRlyOut,
  BriefMsgInfoOut,
  SYNC_MAX_RELATIONS,
  SYNC_MAX_LIMIT,
  SYNC_MAX_MESSAGES,
  REACTION_WORDS,
  isReaction,
  type MessageSchemas,
} from './api/message.schemas';
export {
  groupSchemas,
  SettingGroupOut,
  GroupMemberOut,
  MUTE_MAX_SECONDS,
  NotifyOut,
  type GroupSchemas,
} from './api/group.schemas';
export { fileSchemas, FileOut, type FileSchemas } from './api/file.schemas';
export {
  socialSchemas,
  ApplicationInfoOut,
  FriendInfoOut,
  SettingFriendOut,
  SettingOut,
  SettingPinOut,
  BlockedAccountOut,
  APPLICATION_STATUSES,
  type ApplicationStatus,
  type SocialSchemas,
} from './api/social.schemas';
export {
  messageRecordSchema,
  readRecordSchema,
  storedRecordSchema,
  chatEventSchema,
  deliveryRecordSchema,
  parseRecord,
  type ParsedRecord,
} from './record-schemas';
export {
  msgInfo,
  msgInfoWithRly,
  briefMsgInfo,
  rlyMsg,
  storedRecord,
  storedMessage,
  storedMsgInfo,
  type MsgInfo,
  type MsgInfoWithRly,
  type BriefMsgInfo,
  type RlyMsg,
  type MessageRow,
  type MessageCounts,
  type ReplyTarget,
  type MessageWithReply,
  type ReactionCount,
} from './msg-info';
export { describeIssues } from './describe-issues';
export {
  pushSchemas,
  pushPlatform,
  PushDeviceOut,
  PushSettingsOut,
  PUSH_PLATFORMS,
  type PushSchemas,
  type PushRegisterBody,
} from './api/push.schemas';
export {
  pushJobSchema,
  pushMessageJob,
  pushDeviceJob,
  type PushJob,
  type PushMessageJob,
  type PushDeviceJob,
} from './jobs';
