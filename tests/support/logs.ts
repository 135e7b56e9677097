/** The environment that makes an app child process log everything as JSON lines. */
export const DEBUG_LOG_ENV = { NODE_ENV: 'production', LOG_LEVEL: 'debug' };
