/** Test utilities for model sources (Node only). */
export {
  type ModelServer,
  type ModelServerOptions,
  type RequestRecord,
  type ServerFault,
  startModelServer,
} from './model-server.js';
export { rejection } from './rejection.js';
