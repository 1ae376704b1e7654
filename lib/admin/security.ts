import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const COOKIE = "quarry_admin_csrf";

/** The request's cookies, by name. */
export function cookies(request: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) found.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
  }
  return found;
}

/**
 * The CSRF token of this browser (double-submit: a random cookie that every form repeats in a hidden field; another
 * site can make the browser send the cookie but cannot read it to fill the field). Set when missing.
 */
export function csrfToken(request: IncomingMessage, response: ServerResponse, path: string): string {
  const existing = cookies(request).get(COOKIE);
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return existing;
  const token = randomBytes(32).toString("hex");
  response.appendHeader("Set-Cookie", `${COOKIE}=${token}; Path=${path || "/"}; HttpOnly; SameSite=Strict`);
  return token;
}

/** Whether a form's token is this browser's. */
export function csrfMatches(request: IncomingMessage, sent: string | undefined): boolean {
  const expected = cookies(request).get(COOKIE);
  if (!expected || !sent || expected.length !== sent.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(sent));
}

/** At most this much of a form is read: an admin form is small, and a larger body is refused, not buffered. */
const MAX_BODY = 1 << 20;

/** A url-encoded form body, each name with all its values (a multi-select sends several). */
export async function readForm(request: IncomingMessage & { body?: unknown }): Promise<Map<string, string[]>> {
  const form = new Map<string, string[]>();
  let text = "";
  // Behind express.urlencoded() the body is already parsed.
  if (request.body && typeof request.body === "object") {
    for (const [name, value] of Object.entries(request.body as Record<string, unknown>)) {
      form.set(name, (Array.isArray(value) ? value : [value]).map(String));
    }
    return form;
  }
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw new RangeError("The form is too large");
  }
  for (const [name, value] of new URLSearchParams(text)) form.set(name, [...(form.get(name) ?? []), value]);
  return form;
}
