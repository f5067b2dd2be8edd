/**
 * W3C Trace Context (`traceparent: 00-<trace id>-<span id>-<flags>`): the
 * one id that ties a request to the queue message, consumer, Durable Object
 * call and Stripe request it caused.
 */

export interface TraceContext {
  traceId: string;
  spanId: string;
  /** The span that caused this one (the caller's), when there was one. */
  parentSpanId: string | null;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Every byte's two hex digits: ids are made on every request, so not formatted byte by byte each time. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function randomHex(bytes: number): string {
  let hex = '';
  // A byte always indexes one of the 256 entries.
  for (const byte of crypto.getRandomValues(new Uint8Array(bytes))) hex += HEX[byte]!;
  return hex;
}

/** A new span: a child of `parent` (a `traceparent` header value) when it is valid, else the root of a new trace. */
export function startSpan(parent?: string | null): TraceContext {
  const match = parent ? TRACEPARENT.exec(parent.trim().toLowerCase()) : null;
  if (match && match[1] !== ZERO_TRACE && match[2] !== ZERO_SPAN) {
    return { traceId: match[1]!, spanId: randomHex(8), parentSpanId: match[2]!, sampled: (Number.parseInt(match[3]!, 16) & 1) === 1 };
  }
  return { traceId: randomHex(16), spanId: randomHex(8), parentSpanId: null, sampled: true };
}

/** The header value that makes the next hop a child of `span`. */
export function traceparentOf(span: TraceContext): string {
  return `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`;
}
