export * from './ports';
export { UserService, type UserServiceDeps, type PasswordHasher } from './users/user.service';
export {
  AccountService,
  type AccountServiceDeps,
  type AccountFields,
} from './accounts/account.service';
export { SessionService, type SessionServiceDeps } from './sessions/session.service';
export { accountInfo, userInfo, iso } from './views';
export type { IdGenerator } from './messages/system-message';
export { findAckedMessage } from './messages/acked-message';
export { GroupService, type GroupServiceDeps } from './groups/group.service';
export {
  NoticeService,
  type NoticeServiceDeps,
  type NoticeContent,
} from './notices/notice.service';
export {
  MessageService,
  type MessageServiceDeps,
  type MessageRules,
} from './messages/message.service';
export { FileService, fileInfo, type FileServiceDeps } from './files/file.service';
export {
  cleanOrphanFiles,
  type CleanupSummary,
  type OrphanCleanupDeps,
} from './files/orphan-cleanup';
export {
  detectImageType,
  IMAGE_SNIFF_BYTES,
  IMAGE_CONTENT_TYPES,
  IMAGE_EXTENSIONS,
  type ImageType,
} from './files/file-kind';
export type { FileStore, RelationLookup, IncomingFile } from './files/ports';
export {
  ApplicationService,
  applicationInfo,
  type ApplicationServiceDeps,
} from './applications/application.service';
export { SettingService, type SettingServiceDeps } from './settings/setting.service';
export {
  PresenceSettingService,
  type PresenceSettingServiceDeps,
} from './settings/presence-setting.service';
export { BlockService, refuseBlocked, type BlockServiceDeps } from './blocks/block.service';
export { route, type PlannedPush, type PushSource } from './pushes/routing';
export { DeliverySources } from './pushes/delivery-sources';
