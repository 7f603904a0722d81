import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: structured JSON on stdout, one line per event. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'craton' }, timestamp: pino.stdTimeFunctions.isoTime });
}
