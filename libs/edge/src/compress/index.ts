/** Compression: per-route brotli/gzip of answers the client accepts encoded. */
export { compressPolicySchema, DEFAULT_MIN_COMPRESS_BYTES, type CompressPolicy } from './policy';
export { compressResponse } from './compress-response';
