import {
  DefaultLogger,
  type LogContext,
  type LoggerNamespace,
  type LoggerOptions,
} from '@mikro-orm/core';
import type { Logger } from 'pino';

/**
 * MikroORM's logger, writing structured pino lines instead of coloured text.
 *
 * - Warnings and errors (failed queries, deprecations) are always logged.
 * - Everything else only when MikroORM's debug mode enables its namespace, at pino's
 *   `debug` level, so both `debug: true` and a `debug` log level are needed to see SQL.
 * - Query parameters are never logged: they hold emails, password hashes and message text.
 */
export class PinoOrmLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly pino: Logger,
  ) {
    super(options);
  }

  override log(namespace: LoggerNamespace | string, message: string, context?: LogContext): void {
    const level = context?.level;
    const isProblem = level === 'error' || level === 'warning' || namespace === 'deprecated';
    if (!isProblem && !this.isEnabled(namespace as LoggerNamespace, context)) return;
    const text = message.replace(/\s+/g, ' ').trim();
    const fields = { orm: namespace, ...(context?.label ? { label: context.label } : {}) };
    if (level === 'error') this.pino.error(fields, text);
    else if (isProblem) this.pino.warn(fields, text);
    else this.pino.debug(fields, text);
  }

  /**
   * Failed queries are not warned about here: the error reaches the caller, and many are
   * expected outcomes (a taken email is a unique violation).
   */
  override logQuery(context: LogContext): void {
    if (!this.isEnabled('query', context)) return;
    this.pino.debug(
      {
        orm: 'query',
        sql: context.query,
        tookMs: context.took,
        ...(context.results !== undefined ? { results: context.results } : {}),
        ...(context.affected !== undefined ? { affected: context.affected } : {}),
        ...(context.level === 'error' ? { failed: true } : {}),
      },
      'sql query',
    );
  }
}
