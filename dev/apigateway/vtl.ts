import { render } from "velocityjs";

/** API Gateway's $util.urlEncode: Java's URLEncoder (UTF-8, space as +, only letters, digits and -_.* kept). */
export const urlEncode = (text: string) =>
  encodeURIComponent(text)
    .replace(/%20/g, "+")
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Renders an API Gateway mapping template (VTL) for one request: `$input.body`, `$context.*` and `$util.urlEncode`. */
export function renderMappingTemplate(template: string, request: { body: string; context: Record<string, unknown> }): string {
  return render(template, { input: { body: request.body }, context: request.context, util: { urlEncode } });
}

/** An SQS SendMessage request in the Query protocol (what the WebSocket API's submit template renders): the body and String attributes. */
export function parseSendMessage(form: string): { body: string; attributes: Record<string, string> } {
  const fields = new URLSearchParams(form);
  if (fields.get("Action") !== "SendMessage") throw new Error(`the template rendered Action=${fields.get("Action")}, not SendMessage`);
  const attributes: Record<string, string> = {};
  for (const [key, name] of fields) {
    const index = /^MessageAttribute\.(\d+)\.Name$/.exec(key)?.[1];
    if (index) attributes[name] = fields.get(`MessageAttribute.${index}.Value.StringValue`) ?? "";
  }
  return { body: fields.get("MessageBody") ?? "", attributes };
}
