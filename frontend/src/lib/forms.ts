// Client-side validation mirrors the catalog's rules so messages appear
// next to fields at once; the backend validates again.
import type { FieldView, Problem } from './types';

export type FieldErrors = Record<string, Problem>;

// Loopback http is allowed so local test endpoints work; everything else
// must be https (the catalog enforces the same rule).
const urlRE = /^(https:\/\/[^\s/?#]+|http:\/\/(127\.0\.0\.1|\[::1\]|localhost)([:/?#]|$))/i;

export function validateFields(fields: FieldView[], values: Record<string, string>): FieldErrors {
  const errs: FieldErrors = {};
  const fail = (f: FieldView, code: string, reason?: string) =>
    (errs[f.key] = { code, params: reason ? { field: f.key, reason } : { field: f.key } });
  for (const f of fields) {
    const v = (values[f.key] ?? '').trim();
    if (!v) {
      if (f.required && !f.default) fail(f, 'error.field_required');
    } else if (f.kind === 'url' && !urlRE.test(v)) {
      fail(f, 'error.url_https');
    } else if (f.kind === 'number' && !/^\d{1,5}$/.test(v)) {
      fail(f, 'error.field_invalid', 'not_a_number');
    } else if (f.pattern && !f.secret && !matches(f.pattern, v)) {
      fail(f, 'error.field_invalid', 'pattern');
    }
  }
  return errs;
}

// Catalog patterns are RE2; the few JavaScript cannot compile are left to
// the backend's check rather than blocking the form.
function matches(pattern: string, v: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(v);
  } catch {
    return true;
  }
}

/**
 * splitValues separates settings from secrets: the provider's main secret
 * (its first secret field) goes in secret, any other filled-in secret field
 * in secrets, and no secret ever goes into settings.
 */
export function splitValues(
  fields: FieldView[],
  values: Record<string, string>,
): { settings: Record<string, string>; secret: string; secrets: Record<string, string> } {
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const main = fields.find((f) => f.secret);
  for (const f of fields) {
    const v = (values[f.key] ?? '').trim();
    if (f.secret && f !== main && v) secrets[f.key] = v;
    else if (!f.secret && v) settings[f.key] = v;
  }
  return { settings, secret: main ? (values[main.key] ?? '').trim() : '', secrets };
}
