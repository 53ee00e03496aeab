export * from './ports';
export { UserService, type UserServiceDeps, type PasswordHasher } from './users/user.service';
export {
  AccountService,
  type AccountServiceDeps,
  type AccountFields,
} from './accounts/account.service';
export { accountInfo, userInfo, iso } from './views';
export type { MessagePublisher, IdGenerator } from './messages/publisher';
export { MessageService, type MessageServiceDeps } from './messages/message.service';
export { msgInfo, msgInfoWithRly, briefMsgInfo } from './messages/msg-info';
