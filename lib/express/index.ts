export { atomicRequests, type AtomicRequestsOptions, type Middleware } from "./atomic-requests.js";
