import type * as vscode from 'vscode';
import { SinkLogger, type LogLevel, type LogRecord, type Logger } from '../common/logger';

/** Forwards structured records to the "Open AutoGLM" LogOutputChannel. */
export function createChannelLogger(channel: vscode.LogOutputChannel, level: () => LogLevel): Logger {
  return new SinkLogger((record: LogRecord) => {
    const { time: _time, level: recordLevel, msg, ...fields } = record;
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const text = Object.keys(defined).length > 0 ? `${msg} ${JSON.stringify(defined)}` : msg;
    switch (recordLevel) {
      case 'trace':
        channel.trace(text);
        break;
      case 'debug':
        channel.debug(text);
        break;
      case 'info':
        channel.info(text);
        break;
      case 'warn':
        channel.warn(text);
        break;
      case 'error':
        channel.error(text);
        break;
      default: {
        const never: never = recordLevel;
        throw new Error(`Unknown log level ${String(never)}`);
      }
    }
  }, level);
}
