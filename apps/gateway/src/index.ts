/**
 * The gateway role's public surface: its composition root, for `main.ts` (one role per
 * process) and for the standalone server (every role in one process). Nothing else of the
 * role is meant to be imported from outside it.
 */
export {
  start,
  gatewayNodeId,
  type GatewayConfig,
  type GatewayDeps,
  type RunningGateway,
} from './start';
export { SOCKET_IO_PATH } from './sockets/socketio-server';
