import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout, one line per event; a process manager collects them. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'storecrm', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
