// Who may reach the local platform: only this machine's own user of it (docs/local-platform.md, "Who can
// reach it"). A request from elsewhere is refused before anything of it is read.
import type { IncomingMessage } from "node:http";

/** AWS's answer to a caller it cannot authenticate (the local services' JSON protocol; the SDKs read the 403). */
export const accessDenied = (message: string) => ({
  statusCode: 403,
  headers: { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" },
  body: JSON.stringify({ __type: "AccessDeniedException", message }),
});

/**
 * Why a request does not come from this machine's own user of the platform, or undefined: its `Host`
 * must name 127.0.0.1 or localhost and the port (so a DNS-rebinding page, whose Host is its own name,
 * is refused), and a browser's `Origin`, when sent, must be the platform's own page.
 */
export function foreignCaller(request: IncomingMessage, port: number): string | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!hosts.includes(String(request.headers.host ?? "").toLowerCase()))
    return `Host ${request.headers.host || "(none)"} is not this machine's: the local platform answers only ${hosts.join(" or ")}`;
  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((host) => origin.toLowerCase() === `http://${host}`))
    return `Origin ${origin} is not the local platform's page: requests from other web pages are refused`;
  return undefined;
}
