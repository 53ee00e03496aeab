import type { Response } from 'express';
import { ERROR_MESSAGES, ErrorCode } from '@chat/protocol';

/** docs/api.md §1.1: `{status_code, status_msg, data}`; `data` only on success. */
export interface Envelope {
  status_code: number;
  status_msg: string;
  data?: unknown;
}

export function sendOk(res: Response, data: unknown): void {
  const body: Envelope = { status_code: ErrorCode.Success, status_msg: ERROR_MESSAGES[0] };
  if (data !== undefined) body.data = data;
  res.status(200).json(body);
}

export function sendError(
  res: Response,
  code: ErrorCode,
  message?: string,
  httpStatus = 200,
): void {
  if (res.headersSent) return;
  res.status(httpStatus).json({ status_code: code, status_msg: message ?? ERROR_MESSAGES[code] });
}
