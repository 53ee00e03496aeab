import { z } from 'zod';
import {
  bool,
  brokerList,
  duration,
  int,
  oneOf,
  optionalStr,
  rateWindows,
  str,
  type Field,
  type RateWindow,
  type Tree,
} from './fields';
import { weakKeyReason } from './signing-key';
import { trustProxyProblem } from './trust-proxy';

const URL_PG: [RegExp, string] = [
  /^postgres(ql)?:\/\//,
  'is not a postgres:// URL. Example: postgres://chat:secret@127.0.0.1:5432/chat',
];
const URL_REDIS: [RegExp, string] = [
  /^rediss?:\/\//,
  'is not a redis:// URL. Example: redis://127.0.0.1:6379/0',
];
const URL_SMTP: [RegExp, string] = [
  /^smtps?:\/\//,
  'is not an smtp:// URL. Example: smtp://user:password@smtp.example.com:587',
];

/**
 * Every configuration key. Section and key names follow the spec (docs/api.md §1.5: `Rule.*`,
 * `Page.*`, `Auto.*`, `Limit.*`, `Token.*`). Durations are written `60s`, `1h` and loaded
 * as milliseconds. Optional connection keys (`Postgresql.Url`, `Redis.Url`,
 * `Kafka.Brokers`, `Email.SmtpUrl`, `AliyunOSS.*`) select the production adapter of their
 * port when set and the embedded one when absent (docs/architecture.md, ports and adapters).
 */
/**
 * An optional string holding a JSON document (a key file): the environment's value, read as
 * YAML like every other, arrives as a mapping, and so does one written as a mapping in
 * private.yml; either is turned back into its JSON text.
 */
function jsonText(opts: Parameters<typeof optionalStr>[0]): Field<string | undefined> {
  const base = optionalStr(opts);
  return {
    ...base,
    schema: z.preprocess(
      (v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v),
      base.schema,
    ) as z.ZodType<string | undefined>,
  };
}

export const CONFIG_TREE = {
  App: {
    Name: str({ describe: 'Name of the service, shown in logs and mail.', default: 'chat' }),
    MachineID: int({
      describe:
        'Node id of this process in message ids (docs/data-model.md §1); unique per running generator.',
      default: 0,
      min: 0,
      max: 31,
      env: ['MACHINE_ID'],
    }),
    DataDir: str({
      describe: 'Folder of the embedded adapters (database, mailbox, files).',
      default: '.data',
      env: ['DATA_DIR'],
    }),
  },
  Server: {
    Host: str({
      describe: 'Address the HTTP and WebSocket listeners bind to.',
      default: '0.0.0.0',
    }),
    ApiPort: int({
      describe:
        'Port of the REST api (public): /api, /files and a plain /healthz for a load balancer; /readyz and /metrics are on ApiOpsPort.',
      default: 8080,
      min: 1,
      max: 65535,
      env: ['PORT'],
    }),
    GatewayPort: int({
      describe:
        'Port of the WebSocket gateway (public): /ws and a plain /healthz for a load balancer; /readyz and /metrics are on GatewayOpsPort.',
      default: 8081,
      min: 1,
      max: 65535,
    }),
    ApiOpsPort: int({
      describe:
        "Port of the api's ops server (/healthz, /readyz with dependency detail, /metrics), and of the standalone server's one ops server; keep it off the public network. 0 picks a free port, logged at start.",
      default: 8094,
      min: 0,
      max: 65535,
    }),
    GatewayOpsPort: int({
      describe:
        "Port of the gateway's ops server (/healthz, /readyz with dependency detail, /metrics); keep it off the public network. 0 picks a free port, logged at start.",
      default: 8095,
      min: 0,
      max: 65535,
    }),
    PersisterOpsPort: int({
      describe:
        "Port of the persister's ops server (/healthz, /readyz, /metrics); 0 picks a free port, logged at start.",
      default: 8091,
      min: 0,
      max: 65535,
    }),
    NotifierOpsPort: int({
      describe:
        "Port of the notifier's ops server (/healthz, /readyz, /metrics); 0 picks a free port, logged at start.",
      default: 8092,
      min: 0,
      max: 65535,
    }),
    MailerOpsPort: int({
      describe:
        "Port of the mailer's ops server (/healthz, /readyz, /metrics); 0 picks a free port, logged at start.",
      default: 8093,
      min: 0,
      max: 65535,
    }),
    DefaultContextTimeout: duration({
      describe: 'Per-request deadline; a request that exceeds it answers 1005.',
      default: '10s',
    }),
    ShutdownTimeout: duration({
      describe: 'Bound on draining in-flight work after SIGTERM before exiting.',
      default: '15s',
    }),
    TrustProxy: str({
      describe:
        'Peers believed when they say in X-Forwarded-For whom they forward for (load balancers, the standalone front door): none, or addresses, CIDR ranges, loopback, linklocal, uniquelocal, comma-separated. Client addresses feed the per-address limits and account_login pushes.',
      default: 'loopback',
      check: trustProxyProblem,
    }),
    PublicUrl: optionalStr({
      describe:
        'Public base URL of the api, for links to files kept on local disk (<PublicUrl>/files/<key>). Unset: http://127.0.0.1:<ApiPort>.',
      example: 'https://chat.example.com',
      pattern: [
        /^https?:\/\/[^/?#]+(\/[^?#]*)?$/,
        'is not an http(s) URL. Example: https://chat.example.com',
      ],
    }),
  },
  Gateway: {
    AuthTimeout: duration({
      describe: 'A socket must authenticate within this (docs/protocol.md §2.1).',
      default: '10s',
    }),
    PingInterval: duration({ describe: 'Interval of WebSocket ping frames.', default: '25s' }),
    IdleTimeout: duration({ describe: 'A socket silent this long is terminated.', default: '60s' }),
    SendDedupWindow: duration({
      describe:
        'How long a client_msg_id stays taken after a send_msg, per account: a resend within it is answered with the original msg_id, a reuse after it is a new message (docs/send-msg.md).',
      default: '24h',
      minMs: 1000,
    }),
    MaxFrameBytes: int({
      describe: 'Largest accepted frame; larger closes with 1009.',
      default: 65536,
      min: 1024,
    }),
    MaxBufferedBytes: int({
      describe: 'Per-socket outgoing buffer; a client that stops reading past this is closed.',
      default: 1048576,
      min: 65536,
    }),
    FramesPerSecond: int({
      describe: 'Frames per second per connection before replies of 1004; 0 disables.',
      default: 50,
      min: 0,
    }),
    PresenceTtl: duration({
      describe:
        'Presence entries, and the connection counts of the limits below, expire this long after the last heartbeat of their gateway.',
      default: '30s',
    }),
    MaxPipelineBacklog: int({
      describe:
        'Messages accepted but not yet stored and routed (the persister and notifier backlog) past which send_msg answers 1004 with data.retry_after_ms, so latency and memory stay bounded under overload; 0 disables.',
      default: 1000,
      min: 0,
    }),
    BacklogPollInterval: duration({
      describe: 'How often each gateway reads that backlog.',
      default: '100ms',
    }),
    SendRate: rateWindows({
      describe:
        'send_msg per account, over all its sockets and every gateway: windows that must each allow a message, else send_msg answers 1004 with data.retry_after_ms and nothing is stored; [] disables.',
      default: [
        { Count: 20, Window: '1s' },
        { Count: 300, Window: '1m' },
      ],
    }),
    MaxConnectionsPerAccount: int({
      describe:
        'Open sockets per account over every gateway; a socket authenticating past it is answered 1004 and closed with 4429. The sockets of a gateway that died stop counting within PresenceTtl. 0 disables.',
      default: 20,
      min: 0,
    }),
    MaxConnectionsPerAddress: int({
      describe:
        'Open sockets per client address (as Server.TrustProxy lets the gateway see it; IPv6 per /64) over every gateway; an upgrade past it is answered HTTP 429 (a Socket.IO handshake: 403). 0 disables: set 0 behind a balancer that hides client addresses (a TCP balancer without X-Forwarded-For) and limit there.',
      default: 1000,
      min: 0,
    }),
  },
  Postgresql: {
    Url: optionalStr({
      describe: 'PostgreSQL connection URL. Unset: the embedded PGlite database under App.DataDir.',
      example: 'postgres://chat:change-me@127.0.0.1:5432/chat',
      secret: true,
      env: ['DATABASE_URL'],
      pattern: URL_PG,
    }),
    PoolMax: int({
      describe: 'Largest number of pooled connections per process.',
      default: 10,
      min: 1,
    }),
  },
  Redis: {
    Url: optionalStr({
      describe: 'Redis URL for cache, presence, rate limits and the email queue. Unset: in-memory.',
      example: 'redis://127.0.0.1:6379/0',
      secret: true,
      env: ['REDIS_URL'],
      pattern: URL_REDIS,
    }),
    KeyPrefix: str({
      describe: 'Prefix of every Redis key this service writes.',
      default: 'chat:',
    }),
  },
  Token: {
    Key: str({
      describe:
        'Secret that signs user and account tokens: at least 32 random characters (openssl rand -base64 32); placeholders and predictable keys are refused.',
      example: 'replace-with-at-least-32-random-characters',
      secret: true,
      min: 32,
      // A short key is reported as short (by `min`) only.
      check: (key) => (key.length >= 32 ? weakKeyReason(key) : undefined),
    }),
    UserTokenDuration: duration({
      describe: 'Lifetime of user tokens (register, login).',
      default: '24h',
      minMs: 1000,
    }),
    AccountTokenDuration: duration({
      describe: 'Lifetime of account tokens (account create, account token).',
      default: '24h',
      minMs: 1000,
    }),
    AuthorizationKey: str({
      describe: 'HTTP header that carries the token.',
      default: 'Authorization',
      min: 1,
    }),
    AuthorizationType: str({
      describe: 'Scheme before the token in that header (case-insensitive).',
      default: 'bearer',
      min: 1,
    }),
  },
  Email: {
    SmtpUrl: optionalStr({
      describe:
        'SMTP server URL (smtps:// for TLS). Unset: the dev mailbox (see DevMailbox); the mailer refuses to start without one of the two.',
      example: 'smtp://user:change-me@smtp.example.com:587',
      secret: true,
      env: ['SMTP_URL'],
      pattern: URL_SMTP,
    }),
    DevMailbox: bool({
      describe:
        'Without Email.SmtpUrl, write each mail under App.DataDir/mailbox and log it, code included, instead of sending it: for development only. The standalone server (npm start) allows it by itself; the mailer refuses to start without SMTP unless this is true.',
      default: false,
    }),
    From: str({
      describe: 'Sender address of verification mails.',
      default: 'Chat <no-reply@chat.local>',
      min: 3,
    }),
  },
  Push: {
    DevSink: bool({
      describe:
        'With no provider configured below, write each push notification under App.DataDir/push and log it instead of sending it: for development only. The standalone server (npm start) allows it by itself. With neither, no notifications are sent (docs/push-notifications.md).',
      default: false,
    }),
    FcmServiceAccount: jsonText({
      describe:
        'Firebase service-account key file (the JSON, on one line) for FCM HTTP v1: project_id, client_email, private_key, token_uri. Set: Android (and FCM-registered) devices are notified.',
      example:
        '{"project_id":"my-app","client_email":"push@my-app.iam.gserviceaccount.com","private_key":"change-me"}',
      secret: true,
    }),
    FcmEndpoint: str({
      describe: 'Base URL of the FCM API.',
      default: 'https://fcm.googleapis.com',
      min: 1,
    }),
    ApnsKey: optionalStr({
      describe:
        'APNs token-auth signing key (the .p8 file, PEM). With ApnsKeyId, ApnsTeamId and ApnsTopic set: iOS devices are notified.',
      example: 'change-me',
      secret: true,
    }),
    ApnsKeyId: optionalStr({
      describe: 'Key id of ApnsKey (10 characters).',
      example: 'ABC123DEFG',
    }),
    ApnsTeamId: optionalStr({ describe: 'Apple developer team id.', example: 'DEF123GHIJ' }),
    ApnsTopic: optionalStr({
      describe: 'The iOS app bundle id (apns-topic).',
      example: 'com.example.chat',
    }),
    ApnsEndpoint: str({
      describe:
        'APNs server: https://api.push.apple.com, or https://api.sandbox.push.apple.com for development builds.',
      default: 'https://api.push.apple.com',
      min: 1,
    }),
    ApnsCa: optionalStr({
      describe:
        'Extra CA certificate (PEM) to trust for the APNs server, for a gateway with a private certificate; unset for Apple.',
      example: 'change-me',
    }),
    WebPushSubject: optionalStr({
      describe:
        'VAPID subject: a mailto: or https: URL where push services can reach the operator. With both WebPush keys set: browsers are notified.',
      example: 'mailto:ops@example.com',
    }),
    WebPushPublicKey: optionalStr({
      describe:
        'VAPID public key (base64url; npx web-push generate-vapid-keys). Browsers subscribe with it.',
      example: 'BNc...',
    }),
    WebPushPrivateKey: optionalStr({
      describe: 'VAPID private key (base64url).',
      example: 'change-me',
      secret: true,
    }),
    MentionsBreakDoNotDisturb: bool({
      describe:
        'Notify an account mentioned (@) in a conversation it has set do-not-disturb: the default for accounts that have not chosen with PUT /api/push/settings.',
      default: true,
    }),
  },
  AliyunOSS: {
    Endpoint: optionalStr({
      describe: 'OSS endpoint. All four OSS keys set: files go to OSS; else local disk.',
      example: 'oss-cn-hangzhou.aliyuncs.com',
      env: ['OSS_ENDPOINT'],
    }),
    AccessKeyID: optionalStr({
      describe: 'OSS access key id.',
      example: 'change-me',
      env: ['OSS_ACCESS_KEY_ID'],
    }),
    AccessKeySecret: optionalStr({
      describe: 'OSS access key secret.',
      example: 'change-me',
      secret: true,
      env: ['OSS_ACCESS_KEY_SECRET'],
    }),
    BucketName: optionalStr({
      describe: 'OSS bucket.',
      example: 'chat-files',
      env: ['OSS_BUCKET'],
    }),
    BasePath: str({ describe: 'Key prefix of stored objects.', default: 'chat/' }),
    BucketUrl: optionalStr({
      describe: 'Public URL of the bucket; defaults to https://<bucket>.<endpoint>.',
      example: 'https://chat-files.oss-cn-hangzhou.aliyuncs.com',
    }),
  },
  Kafka: {
    Brokers: brokerList({
      describe: 'Kafka bootstrap brokers, comma-separated host:port. Unset: the in-process bus.',
      example: '127.0.0.1:9092',
      env: ['KAFKA_BROKERS'],
    }),
    ClientId: str({ describe: 'Client id sent to the brokers.', default: 'chat' }),
    TopicPrefix: str({
      describe: 'Prefix of every topic name (isolates deployments sharing a cluster).',
      default: '',
    }),
    Partitions: int({
      describe: 'Partitions of the topics this service creates.',
      default: 12,
      min: 1,
    }),
    ReplicationFactor: int({
      describe: 'Replicas of the topics this service creates.',
      default: 1,
      min: 1,
    }),
  },
  Rule: {
    PasswordLenMin: int({ describe: 'Shortest password.', default: 6, min: 1 }),
    PasswordLenMax: int({ describe: 'Longest password.', default: 32, min: 1 }),
    UsernameLenMin: int({
      describe: 'Shortest account name (and name search).',
      default: 1,
      min: 1,
    }),
    UsernameLenMax: int({
      describe: 'Longest account name (and name search).',
      default: 32,
      min: 1,
      max: 32,
    }),
    CodeLength: int({
      describe: 'Digits of an email verification code.',
      default: 6,
      min: 4,
      max: 12,
    }),
    UserMarkDuration: duration({
      describe: 'Least interval between two code mails to one address.',
      default: '60s',
    }),
    CodeMarkDuration: duration({
      describe: 'How long a verification code stays valid.',
      default: '1h',
    }),
    AccountNumMax: int({ describe: 'Accounts per user.', default: 5, min: 1 }),
    DefaultAvatarURL: str({
      describe: 'Avatar of new accounts and groups.',
      default: 'https://chat.local/static/default-avatar.png',
      min: 1,
    }),
    BiggestFileSize: int({
      describe: 'Largest non-image upload, bytes.',
      default: 1024000,
      min: 1,
    }),
    BiggestImageSize: int({ describe: 'Largest image upload, bytes.', default: 10485760, min: 1 }),
  },
  Message: {
    EditWindowSeconds: int({
      describe: 'How long after sending the sender may edit a text message, seconds (5007 after).',
      default: 900,
      min: 1,
    }),
    MaxReactions: int({
      describe: 'Most different reactions (emoji) one message can carry (5008 past it).',
      default: 20,
      min: 1,
      max: 100,
    }),
  },
  Page: {
    DefaultPageSize: int({ describe: 'Page size when a request gives none.', default: 10, min: 1 }),
    MaxPageSize: int({ describe: 'Larger page sizes are clamped to this.', default: 200, min: 1 }),
  },
  Auto: {
    DeleteExpiredFileDuration: duration({
      describe: 'Period of the orphan file clean-up job.',
      default: '12h',
      minMs: 1000,
    }),
    Retry: {
      Duration: duration({
        describe: 'Wait between retries of background side effects.',
        default: '5s',
      }),
      MaxTimes: int({
        describe: 'Retries of background side effects before giving up.',
        default: 3,
        min: 0,
      }),
    },
  },
  Outbox: {
    PollInterval: duration({
      describe:
        "How often the api's outbox relay looks for records no commit of its own announced (left by a stopped api); its own commits wake it at once.",
      default: '1s',
      minMs: 10,
    }),
    BatchSize: int({
      describe: 'Most outbox records the relay publishes in one round trip to the bus.',
      default: 500,
      min: 1,
    }),
    PublishWait: duration({
      describe:
        'How long a REST call waits after its commit for the relay to publish its events; past it the call answers, and the events follow from the outbox.',
      default: '2s',
    }),
    HoldRelay: bool({
      describe:
        'Test only: the relay publishes nothing and records stay in the outbox (fault tests kill the api between commit and publish). Never set in production.',
      default: false,
    }),
  },
  Limit: {
    IPLimit: {
      Bucket: int({
        describe: 'Token bucket size per client IP on /api; 0 disables.',
        default: 10,
        min: 0,
      }),
      Refill: int({ describe: 'Tokens added per Interval.', default: 5, min: 0 }),
      Interval: duration({
        describe: 'Refill interval of the IP bucket.',
        default: '1s',
        minMs: 1,
      }),
      Cost: int({ describe: 'Tokens one request costs.', default: 1, min: 0 }),
    },
    APILimit: {
      Email: rateWindows({
        describe: 'Windows for /email/send; each must allow the request; [] disables.',
        default: [
          { Count: 5, Window: '1s' },
          { Count: 30, Window: '1m' },
        ],
      }),
      Upload: rateWindows({
        describe: 'Windows for /msg/file and /file/avatar; [] disables.',
        default: [{ Count: 1, Window: '1s' }],
      }),
      LoginFailEmail: rateWindows({
        describe:
          'Failed logins per email address; once a window is full, logins for it answer 1004 without checking the password (no password hash work for a flood); [] disables.',
        default: [
          { Count: 10, Window: '1m' },
          { Count: 50, Window: '1h' },
        ],
      }),
      LoginFailAddress: rateWindows({
        describe:
          'Failed logins per client address (IPv6: per /64), whatever the email; [] disables.',
        default: [
          { Count: 30, Window: '1m' },
          { Count: 300, Window: '1h' },
        ],
      }),
    },
  },
  Log: {
    Level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      describe: 'Least severe level written.',
      default: 'info',
      env: ['LOG_LEVEL'],
    }),
    Pretty: bool({
      describe: 'Readable colour lines instead of JSON (development).',
      default: false,
      env: ['LOG_PRETTY'],
    }),
  },
} satisfies Tree;

type Value<F> = F extends Field<infer T> ? T : F extends Tree ? ConfigOf<F> : never;
type ConfigOf<T extends Tree> = { readonly [K in keyof T]: Value<T[K]> };

/** The validated, frozen configuration that `loadConfig` returns. */
export type Config = ConfigOf<typeof CONFIG_TREE>;
export type { RateWindow };
