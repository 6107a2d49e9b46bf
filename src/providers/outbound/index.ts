/**
 * Outbound HTTP for tools that call upstream APIs: SSRF-checked, pinned to
 * the checked address, bounded in time and size (README "Security model of
 * outbound calls").
 */
export { AllowList, classifyAddress, type Refusal, refusalReason } from './address-policy.ts';
export { createOutboundHttp, parseOutboundUrl } from './client.ts';
export { OutboundError, type OutboundErrorKind, safeUrl } from './errors.ts';
export type { OutboundHttp, OutboundOptions, OutboundRequest, OutboundResponse } from './types.ts';
