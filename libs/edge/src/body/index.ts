/** Body: bounded JSON request-body reading and validation. */
export { readJsonBody, readValidBody, type ReadJsonOptions } from './read-json';
