/** Guards: request size and safety checks, streamed-body limits and node:http server settings. */
export { requestGuards, checkRequest, DEFAULT_GUARD_LIMITS, type GuardLimits } from './request-guards';
export { checkRequestPath, rawPathOf } from './request-path';
export { limitBody, bodyTooLarge } from './limit-body';
export { serverOptions, applyServerTimeouts, handleClientError, clientErrorResponse, SERVER_LIMITS } from './server-options';
