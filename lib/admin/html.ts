/** Markup that is already safe: made only by `html` below (and `raw` for constant text). */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as it must appear inside an element or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/**
 * A template of markup whose every interpolated value is escaped, unless it is itself `SafeHtml` (or an array
 * of it): so a value from the database can only ever reach a page as text.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let text = strings[0]!;
  values.forEach((value, index) => {
    text += interpolate(value) + strings[index + 1]!;
  });
  return new SafeHtml(text);
}

function interpolate(value: unknown): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(interpolate).join("");
  if (value === false || value === undefined || value === null) return "";
  return escapeHtml(value);
}

/** Constant markup written in quarry's own source, never data. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

const STYLE = raw(`
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#26324a;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px;max-width:1200px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #e3e6eb;padding:6px 8px;text-align:left;vertical-align:top}
th a{color:inherit}
.errors,.error{color:#b00020}
.notice{background:#e7f5ea;border:1px solid #9bd3a8;padding:8px;margin-bottom:12px}
form.edit label{display:block;font-weight:600;margin-top:10px}
form.edit input[type=text],form.edit input[type=number],form.edit textarea,form.edit select{width:32em;max-width:100%}
.toolbar{display:flex;gap:12px;align-items:center;margin:10px 0}
.filters a{margin-right:8px}
.picker-results a{display:block}
`);

/** The page around `body`: the admin's header and the page's title. */
export function page(title: string, base: string, user: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} | quarry admin</title><style>${STYLE}</style></head>
<body><header><a href="${base}/">quarry admin</a><span>${title}</span><span style="margin-left:auto">${user}</span></header>
<main>${body}</main></body></html>`.text;
}
