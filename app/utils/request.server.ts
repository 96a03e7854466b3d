/**
 * The client's address as the Express server saw it (it honours TRUST_PROXY), passed on in the
 * X-Onward-Client-Ip header that the server sets and overwrites on every request.
 */
export function clientIp(request: Request): string | null {
  return request.headers.get("X-Onward-Client-Ip");
}
