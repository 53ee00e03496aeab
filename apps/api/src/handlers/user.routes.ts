import type { UserService } from '@chat/domain';
import { ErrorCode, type UserAccountSchemas } from '@chat/protocol';
import type { LoginGuard } from '../areas/login-guard';
import { route, type AnyRoute } from '../http/route';

/** docs/api.md §4–6: ping, user and email areas. */
export function userRoutes(
  users: UserService,
  s: UserAccountSchemas,
  loginGuard: LoginGuard,
): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/ping',
      auth: 'none',
      tag: 'misc',
      summary: 'Liveness of the api',
      from: 'none',
      handle: async () => 'pang',
    }),
    route({
      method: 'post',
      path: '/api/user/register',
      auth: 'none',
      tag: 'user',
      summary: 'Register with an emailed code',
      from: 'body',
      input: s.register.body,
      reply: s.register.reply,
      errors: [ErrorCode.EmailRegistered, ErrorCode.EmailCodeInvalid],
      handle: ({ input }) => users.register(input.email, input.password, input.code),
    }),
    route({
      method: 'post',
      path: '/api/user/login',
      auth: 'none',
      tag: 'user',
      summary: 'Log in',
      from: 'body',
      input: s.login.body,
      reply: s.login.reply,
      errors: [ErrorCode.UserNotFound, ErrorCode.WrongPassword, ErrorCode.TooManyRequests],
      handle: ({ input, ip }) =>
        loginGuard.attempt(input.email, ip, () => users.login(input.email, input.password)),
    }),
    route({
      method: 'put',
      path: '/api/user/update/email',
      auth: 'user',
      tag: 'user',
      summary: 'Change the email (code sent to the new address)',
      description:
        'Ends every token of the user and of its accounts: they answer 2013 from now on, and sockets opened with them are closed with 4401.',
      from: 'body',
      input: s.updateEmail.body,
      errors: [ErrorCode.EmailSame, ErrorCode.EmailRegistered, ErrorCode.EmailCodeInvalid],
      handle: ({ input, caller }) => users.updateEmail(caller.userId, input.email, input.code),
    }),
    route({
      method: 'put',
      path: '/api/user/update/pwd',
      auth: 'user',
      tag: 'user',
      summary: 'Change the password (code sent to the current address)',
      description:
        'Ends every token of the user and of its accounts: they answer 2013 from now on, and sockets opened with them are closed with 4401.',
      from: 'body',
      input: s.updatePassword.body,
      errors: [ErrorCode.EmailCodeInvalid],
      handle: ({ input, caller }) =>
        users.updatePassword(caller.userId, input.code, input.new_password),
    }),
    route({
      method: 'post',
      path: '/api/user/logout',
      auth: 'user',
      tag: 'user',
      summary: 'Log out on every device',
      description:
        'Ends every token of the user and of its accounts: they answer 2013 from now on, and sockets opened with them are closed with 4401.',
      from: 'none',
      handle: ({ caller }) => users.logout(caller.userId),
    }),
    route({
      method: 'delete',
      path: '/api/user/delete',
      auth: 'user',
      tag: 'user',
      summary: 'Delete the user (after its accounts)',
      description: 'Its tokens answer 2001 from now on.',
      from: 'none',
      errors: [ErrorCode.UserHasAccounts],
      handle: ({ caller }) => users.deleteUser(caller.userId),
    }),
    route({
      method: 'get',
      path: '/api/email/exist',
      auth: 'none',
      tag: 'email',
      summary: 'Whether a user has this email',
      from: 'query',
      input: s.emailExist.query,
      reply: s.emailExist.reply,
      handle: ({ input }) => users.emailExists(input.email),
    }),
    route({
      method: 'post',
      path: '/api/email/send',
      auth: 'none',
      tag: 'email',
      summary: 'Send a verification code',
      from: 'body',
      input: s.emailSend.body,
      limit: 'email',
      errors: [ErrorCode.EmailSendTooOften],
      handle: ({ input }) => users.sendCode(input.email),
    }),
  ];
}
