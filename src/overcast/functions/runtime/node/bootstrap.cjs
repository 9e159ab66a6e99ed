// Overcast's Node.js runtime client: speaks the Lambda Runtime API (2018-06-01) and runs a
// handler the way AWS's nodejs runtimes do. Plain Node.js, no dependencies.
//
// Behaviour follows AWS's documentation:
//   handlers     https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
//   context      https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html
//   errors       https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
//   logging      https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html
//   runtime API  https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const stream = require('stream');
const url = require('url');
const util = require('util');

const BASE = '/2018-06-01/runtime';
const [API_HOST, API_PORT] = (process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001').split(':');
// AWS's runtime lives at /var/runtime; its error texts name that path.
const AWS_RUNTIME_ENTRY = '/var/runtime/index.mjs';

// --- errors the runtime itself raises, typed "Runtime.<Name>" as AWS types them ---------------

function runtimeError(name, message) {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: `Runtime.${name}`, enumerable: false, writable: true });
  error.stack = `Runtime.${name}: ${message}\n` + (error.stack || '').split('\n').slice(1).join('\n');
  return error;
}

function isError(value) {
  return (
    util.types.isNativeError(value) ||
    (value && typeof value.name === 'string' && typeof value.message === 'string' && typeof value.stack === 'string')
  );
}

// The document posted to /error and /init/error (and returned by Invoke).
function errorDocument(error) {
  try {
    if (isError(error)) {
      return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// The JSON an error is logged as: its type, message, own enumerable fields and stack lines.
function errorLogJson(error) {
  try {
    return JSON.stringify(error, (_key, value) => {
      if (value instanceof Error) {
        const shown = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
        if (typeof value.stack === 'string') shown.stack = value.stack.split('\n');
        return shown;
      }
      return value;
    });
  } catch (_) {
    return JSON.stringify(errorDocument(error));
  }
}

// --- logging: "<ISO time>\t<request id>\t<LEVEL>\t<message>", one line per call ---------------
// With LoggingConfig's LogFormat JSON, Lambda sets AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL (the
// ApplicationLogLevel): each console call is then one JSON record, {"timestamp", "level", "requestId",
// "message"} (and errorType, errorMessage, stackTrace for an Error argument), and calls below the level
// write nothing (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html#nodejs-logging-advanced).

const LOG_JSON = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
const LEVEL_PRIORITY = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const LOG_LEVEL = LEVEL_PRIORITY[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || LEVEL_PRIORITY.TRACE;

let currentRequestId; // printed as "undefined" during init, as AWS does

function writeLog(level, message) {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`;
  // Newlines inside one message become \r, so a multi-line message stays one log event.
  process.stdout.write(line.replace(/\n/g, '\r') + '\n');
}

// An Error as the JSON records show it.
function errorJson(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      { errorType: value.constructor?.name ?? 'UnknownError', errorMessage: value.message },
      value,
      { stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : [] },
    );
  }
  return value;
}

function writeJson(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length === 1) {
    record.message = args[0];
    try {
      process.stdout.write(JSON.stringify(record, errorJson) + '\n');
      return;
    } catch (_) {
      // not serializable (a cycle, a BigInt): written as util.format shows it
    }
  }
  record.message = util.format(...args);
  const error = args.slice(1).find((arg) => arg instanceof Error);
  if (error) Object.assign(record, errorJson('', error));
  process.stdout.write(JSON.stringify(record) + '\n');
}

function logError(title, error) {
  if (LOG_JSON) writeJson('ERROR', [title, error]);
  else writeLog('ERROR', `${title} \t${errorLogJson(error)}`);
}

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE', fatal: 'FATAL' };
  for (const [method, level] of Object.entries(levels)) {
    if (LEVEL_PRIORITY[level] < LOG_LEVEL) console[method] = () => {};
    else if (LOG_JSON) console[method] = (...args) => writeJson(level, args);
    else console[method] = (...args) => writeLog(level, util.format(...args));
  }
}

// --- the Runtime API client -------------------------------------------------------------------
// One keep-alive connection and a minimal HTTP/1.1 client over `net`: Node's `http` module costs
// about twice the whole round trip here (measured: p50 0.36 ms per invoke with an `http` keep-alive
// agent, 0.15 ms with this). The socket is unref'd while idle, so it never keeps the event loop
// alive (callbackWaitsForEmptyEventLoop depends on the loop emptying).

class ApiConnection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.socket = null;
    this.buffer = Buffer.alloc(0);
    this.pending = null; // { resolve, reject } of the request in flight
  }

  connect() {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (data) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
      this.parse();
    });
    const lost = (error) => {
      if (this.socket === socket) this.socket = null;
      this.buffer = Buffer.alloc(0);
      const pending = this.pending;
      this.pending = null;
      if (pending) pending.reject(error || new Error('Runtime API connection closed'));
    };
    socket.on('error', lost);
    socket.on('close', () => lost(null));
    this.socket = socket;
    return socket;
  }

  parse() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
    const headers = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] || 0);
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.subarray(end + 4, end + 4 + length);
    this.buffer = this.buffer.subarray(end + 4 + length);
    const pending = this.pending;
    this.pending = null;
    this.socket.unref();
    if (headers.connection === 'close') this.socket.destroy();
    pending.resolve({ status: Number(lines[0].split(' ')[1]), headers, body });
  }

  request(method, apiPath, body, extraHeaders) {
    return new Promise((resolve, reject) => {
      const socket = this.socket || this.connect();
      socket.ref();
      this.pending = { resolve, reject };
      let head = `${method} ${BASE}${apiPath} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n`;
      for (const [name, value] of Object.entries(extraHeaders || {})) head += `${name}: ${value}\r\n`;
      if (body === undefined) {
        socket.write(head + '\r\n');
      } else {
        const payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
        head += `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
        socket.write(payload.length < 65536 ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : head);
        if (payload.length >= 65536) socket.write(payload);
      }
    });
  }
}

const api = new ApiConnection(API_HOST, Number(API_PORT));

function call(method, apiPath, body, headers) {
  return api.request(method, apiPath, body, headers);
}

function postError(apiPath, error) {
  const document = errorDocument(error);
  return call('POST', apiPath, JSON.stringify(document), { 'Lambda-Runtime-Function-Error-Type': document.errorType });
}

function postInitErrorAndExit(error, code) {
  postError('/init/error', error).then(
    () => process.exit(code),
    () => process.exit(code),
  );
}

// --- loading the handler ----------------------------------------------------------------------

function packageTypeIsModule(directory) {
  // The nearest package.json decides whether .js is an ES module; node_modules stops the search.
  for (let dir = directory; ; dir = path.dirname(dir)) {
    if (dir.endsWith('/node_modules')) return false;
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch (error) {
        console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, error);
        return false;
      }
    }
    if (dir === path.dirname(dir)) return false;
  }
}

// ES modules ignore NODE_PATH, yet on AWS an ES module handler imports the runtime's AWS SDK (and its
// layers' packages) as a CommonJS one requires them: "Lambda supports JavaScript ES module dependencies
// for Node.js 18" (https://repost.aws/knowledge-center/lambda-import-module-error-nodejs). This resolve
// hook keeps Node's own resolution first (the function's node_modules win) and, for a bare name it cannot
// find, tries each node_modules directory of NODE_PATH in order. Registered only before the first ES module
// handler is imported. Where Node has module.registerHooks (22.15+, so nodejs22.x and nodejs24.x here) the
// hook runs in-thread and synchronously; before that, module.register runs it on a thread of its own, which
// costs an ES module handler ~90 ms of Init Duration on Node 20 and which CommonJS handlers need not start.
const nodePathRoots = () => (process.env.NODE_PATH || '').split(':').filter((dir) => dir.endsWith('/node_modules'));
const bareSpecifier = (name) => !name.startsWith('.') && !name.startsWith('/') && !name.includes(':');

function resolveFromNodePath(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !bareSpecifier(specifier)) throw error;
    for (const root of nodePathRoots()) {
      const parentURL = url.pathToFileURL(root.slice(0, -'node_modules'.length) + 'index.mjs').href;
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch (again) {
        if (again?.code !== 'ERR_MODULE_NOT_FOUND') throw again;
      }
    }
    throw error;
  }
}

const NODE_PATH_HOOKS = `
import { pathToFileURL } from 'node:url';
const roots = (process.env.NODE_PATH || '').split(':').filter((dir) => dir.endsWith('/node_modules'));
const bare = (name) => !name.startsWith('.') && !name.startsWith('/') && !name.includes(':');
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !bare(specifier)) throw error;
    for (const root of roots) {
      const parentURL = pathToFileURL(root.slice(0, -'node_modules'.length) + 'index.mjs').href;
      try {
        return await next(specifier, { ...context, parentURL });
      } catch (again) {
        if (again?.code !== 'ERR_MODULE_NOT_FOUND') throw again;
      }
    }
    throw error;
  }
}
`;
let nodePathHooked = false;

async function importFile(file) {
  const { register, registerHooks } = require('module');
  if (!nodePathHooked && process.env.NODE_PATH) {
    nodePathHooked = true;
    if (typeof registerHooks === 'function') registerHooks({ resolve: resolveFromNodePath });
    else if (typeof register === 'function') register('data:text/javascript,' + encodeURIComponent(NODE_PATH_HOOKS));
  }
  return import(url.pathToFileURL(file).href);
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const isFile = (file) => fs.existsSync(file);
  if (isFile(base)) return require(base);
  const esm = packageTypeIsModule(path.dirname(base));
  if (isFile(base + '.js')) return esm ? importFile(base + '.js') : require(base + '.js');
  if (isFile(base + '.mjs')) return importFile(base + '.mjs');
  if (isFile(base + '.cjs')) return require(base + '.cjs');
  let resolved;
  try {
    resolved = require.resolve(moduleName, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] });
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      const missing = new Error(`Cannot find module '${moduleName}'\nRequire stack:\n- ${AWS_RUNTIME_ENTRY}`);
      missing.code = 'MODULE_NOT_FOUND';
      throw missing;
    }
    throw error;
  }
  return require(resolved);
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw runtimeError(
      'MalformedHandlerName',
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerPart = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerPart));
  const match = /^([^.]*)\.(.*)$/.exec(handlerPart);
  if (!match) throw runtimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, functionPath] = match;
  let loaded;
  try {
    loaded = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw runtimeError('UserCodeSyntaxError', String(error));
    if (error && error.code === 'MODULE_NOT_FOUND') throw runtimeError('ImportModuleError', String(error));
    throw error;
  }
  const handler = functionPath.split('.').reduce((object, key) => object && object[key], loaded);
  if (!handler) throw runtimeError('HandlerNotFound', `${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw runtimeError('HandlerNotFound', `${fullHandler} is not a function`);
  return handler;
}

// --- response streaming --------------------------------------------------------------------
// `awslambda.streamifyResponse(handler)` handlers write to a stream, which goes to the Runtime API
// as it is written: a POST of the response in the streaming mode, chunk by chunk
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming,
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html). Invoke still
// returns the whole response at once; InvokeWithResponseStream and RESPONSE_STREAM function URLs
// pass the chunks on as they arrive. `HttpResponseStream.from` writes the prelude a function URL reads
// the status and headers from, then eight zero bytes, as AWS's runtime does.

const STREAMED = Symbol('overcast.streamed-response'); // the response went out while the handler ran
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';

function openResponseStream(requestId) {
  const socket = net.connect({ host: API_HOST, port: Number(API_PORT), noDelay: true });
  let contentType = 'application/octet-stream';
  let headSent = false;
  let answer = Buffer.alloc(0);
  const answered = new Promise((resolve, reject) => {
    socket.on('data', (data) => {
      answer = Buffer.concat([answer, data]);
      if (answer.indexOf('\r\n\r\n') >= 0) resolve(Number(answer.toString('latin1').split(' ')[1]));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('Runtime API connection closed')));
  });
  const head = () => {
    if (headSent) return;
    headSent = true;
    socket.write(
      `POST ${BASE}/invocation/${requestId}/response HTTP/1.1\r\nHost: ${API_HOST}:${API_PORT}\r\n` +
        `Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n` +
        `Content-Type: ${contentType}\r\n\r\n`,
    );
  };
  const responseStream = new stream.Writable({
    write(chunk, encoding, done) {
      const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
      head();
      if (data.length) socket.write(`${data.length.toString(16)}\r\n`);
      if (data.length) socket.write(data);
      socket.write(data.length ? '\r\n' : '', () => done());
    },
    final(done) {
      head();
      socket.write('0\r\n\r\n', () => done());
    },
  });
  responseStream.setContentType = (type) => {
    if (!headSent) contentType = String(type);
  };
  responseStream.answered = answered.finally(() => socket.destroy());
  return responseStream;
}

function streamifyResponse(handler) {
  return async function streamingHandler(event, context) {
    const responseStream = openResponseStream(context.awsRequestId);
    const finished = new Promise((resolve, reject) => {
      responseStream.on('finish', resolve);
      responseStream.on('error', reject);
    });
    const result = handler(event, responseStream, context);
    if (!result || typeof result.then !== 'function') throw new Error('Streaming does not support non-async handlers.');
    await result;
    if (!responseStream.writableEnded) responseStream.end();
    await finished;
    await responseStream.answered;
    return { [STREAMED]: true };
  };
}

globalThis.awslambda = {
  streamifyResponse,
  HttpResponseStream: {
    from(responseStream, prelude) {
      responseStream.setContentType(HTTP_INTEGRATION);
      responseStream.write(JSON.stringify(prelude || {}));
      responseStream.write(Buffer.alloc(8));
      return responseStream;
    },
  },
};

// --- the invoke loop --------------------------------------------------------------------------

let onBeforeExit = null; // what to do when the event loop empties (callback-style completion)
let onFatal = (error, code) => postInitErrorAndExit(error, code); // where an uncaught error goes now

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

function scheduleNext(handler) {
  setImmediate(() =>
    invokeOnce(handler).catch((error) => {
      console.log(`Unexpected Top Level Error: ${error && error.toString()}`);
      process.exit(1);
    }),
  );
}

async function invokeOnce(handler) {
  const next = await call('GET', '/invocation/next');
  if (next.status !== 200) {
    console.log(`Unexpected Top Level Error: /next answered ${next.status} ${next.body.toString()}`);
    process.exit(1);
  }
  const headers = next.headers;
  const requestId = headers['lambda-runtime-aws-request-id'];
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  currentRequestId = requestId;
  if (headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  else delete process.env._X_AMZN_TRACE_ID;

  let reported = false;
  const respond = (result) => {
    if (result && result[STREAMED]) return scheduleNext(handler); // posted already, as it was written
    let body;
    try {
      body = JSON.stringify(result === undefined ? null : result);
    } catch (_) {
      return fail(new Error('Unable to stringify response body'));
    }
    call('POST', `/invocation/${requestId}/response`, body).then(() => scheduleNext(handler), fatalClient);
  };
  const fail = (error) => {
    logError('Invoke Error', error);
    postError(`/invocation/${requestId}/error`, error).then(() => scheduleNext(handler), fatalClient);
  };
  const complete = (error, result) => {
    if (reported) return;
    reported = true;
    onBeforeExit = null;
    if (error !== undefined && error !== null) fail(error);
    else respond(result);
  };
  let waitForEmptyEventLoop = true;
  const callback = (error, result) => {
    if (reported) return;
    if ((error !== undefined && error !== null) || !waitForEmptyEventLoop) return complete(error, result);
    reported = true; // the result is fixed now; it is posted once the event loop is empty
    onBeforeExit = () => {
      onBeforeExit = null;
      respond(result);
    };
  };
  // A handler that neither returns a promise nor calls back answers null once the loop empties.
  onBeforeExit = () => complete(null, null);
  onFatal = (error, code) => {
    reported = true;
    onBeforeExit = null;
    postError(`/invocation/${requestId}/error`, error).then(
      () => process.exit(code),
      () => process.exit(code),
    );
  };

  const context = {
    awsRequestId: requestId,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => deadline - Date.now(),
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: (result) => complete(null, result),
    fail: (error) => complete(error === undefined || error === null ? 'handled' : error),
    done: (error, result) => complete(error, result),
  };

  let event;
  let result;
  try {
    context.clientContext = parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext');
    context.identity = parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity');
    event = JSON.parse(next.body.toString('utf8'));
    result = handler(event, context, callback);
  } catch (error) {
    return complete(error);
  }
  if (result && typeof result.then === 'function') {
    result.then(
      (value) => complete(null, value),
      (error) => complete(error === undefined || error === null ? 'handled' : error),
    );
  }
}

function fatalClient(error) {
  console.log(`Unexpected Top Level Error: ${error && error.toString()}`);
  process.exit(1);
}

async function main() {
  patchConsole();
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    onFatal(error, 129);
  });
  process.on('unhandledRejection', (reason) => {
    const error = runtimeError('UnhandledPromiseRejection', String(reason));
    error.reason = reason;
    logError('Unhandled Promise Rejection', error);
    onFatal(error, 128);
  });
  process.on('beforeExit', () => {
    if (onBeforeExit) onBeforeExit();
  });
  const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    handler = await loadHandler(appRoot, process.env._HANDLER || '');
  } catch (error) {
    logError('Uncaught Exception', error);
    postInitErrorAndExit(error, 129);
    return;
  }
  scheduleNext(handler);
}

main();
