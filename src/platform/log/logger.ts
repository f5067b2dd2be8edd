/**
 * The one logger. Every line is one JSON object with fixed field names, so
 * a line from the request log, a queue consumer or a Durable Object reads
 * the same way: `level` and `msg` first, then the fields bound to the logger
 * (`requestId`, `tenantId`, …), then the line's own. Modules never build a
 * log line by hand; they call `log.info/warn/error(msg, fields)`.
 */

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * The field names lines share (docs/ARCHITECTURE.md, "Logs"). Anything else
 * a line needs goes beside them under its own name.
 */
export interface LogFields {
  requestId?: string;
  /** W3C trace id (32 hex) and span id (16 hex), when the work is traced. */
  traceId?: string;
  spanId?: string;
  tenantId?: string | null;
  /** Who the work is for: "user", "api_key", "ops", "stripe", "anonymous" or "system". */
  principal?: string;
  /** The route pattern, queue name, cron expression or method name the work ran under. */
  route?: string;
  method?: string;
  status?: number;
  durationMs?: number;
  /** The error's message, never its stack alone. */
  error?: string;
  [field: string]: unknown;
}

export interface LogLine extends LogFields {
  level: LogLevel;
  msg: string;
}

/** Where lines go: the console in the Worker, an array in tests. */
export type LogSink = (line: LogLine) => void;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (a tenant id once it is known). */
  with(fields: LogFields): Logger;
}

/** Workers Logs keeps each console level apart; the line itself is the JSON. */
const consoleSink: LogSink = (line) => {
  const text = JSON.stringify(line);
  if (line.level === 'error') console.error(text);
  else if (line.level === 'warn') console.warn(text);
  else console.log(text);
};

export function createLogger(sink: LogSink = consoleSink, bound: LogFields = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: LogFields) => sink({ level, msg, ...bound, ...fields });
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    with: (fields) => createLogger(sink, { ...bound, ...fields }),
  };
}

/** An error as a log field: its message (with its name when it is not a plain Error). */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
}
