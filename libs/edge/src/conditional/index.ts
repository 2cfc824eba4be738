/** Conditional GET: per-route ETags and 304 Not Modified for clients whose copy is current. */
export { etagPolicySchema } from './policy';
export { assignEtag, conditionalGet } from './conditional-get';
