/** The upstream answered, with a JSON-RPC error (or a result Toolport cannot use): it is up, the request is what failed. */
export class UpstreamAnswerError extends Error {}

/** The upstream could not be reached or did not answer in time: counts against its breaker, and a failover may try another. */
export class UpstreamDownError extends Error {}
