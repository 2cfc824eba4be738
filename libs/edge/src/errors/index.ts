/** Errors: the catalogue, EdgeError and the problem+json middleware. */
export { catalogue, problemType, isErrorCode, type ErrorCode } from './catalogue';
export { EdgeError, isEdgeError, type EdgeErrorOptions } from './edge-error';
export { problemMiddleware, renderProblem, writeProblem, logFailure, problemBody, toEdgeError, type ProblemBody, type ProblemDeps } from './problem-middleware';
