// Client-side validation mirrors the catalog's rules so messages appear
// next to fields at once; the backend validates again.
import type { FieldView } from './types';

export type FieldErrors = Record<string, { code: string; params?: Record<string, string> }>;

export function validateFields(fields: FieldView[], values: Record<string, string>): FieldErrors {
  const errs: FieldErrors = {};
  for (const f of fields) {
    const v = (values[f.key] ?? '').trim();
    if (!v) {
      if (f.required && !f.default) errs[f.key] = { code: 'error.field_required', params: { field: f.key } };
      continue;
    }
    if (f.kind === 'url' && !/^(https:\/\/|http:\/\/(127\.0\.0\.1|\[::1\]|localhost)([:/]|$))/i.test(v)) {
      errs[f.key] = { code: 'error.url_https', params: { field: f.key } };
      continue;
    }
    if (f.kind === 'number' && !/^\d{1,5}$/.test(v)) {
      errs[f.key] = { code: 'error.field_invalid', params: { field: f.key } };
      continue;
    }
    if (f.pattern && !f.secret && !new RegExp(`^(?:${f.pattern})$`).test(v)) {
      errs[f.key] = { code: 'error.field_invalid', params: { field: f.key } };
    }
  }
  return errs;
}

/** splitValues separates settings from the secret: the secret never goes into settings. */
export function splitValues(fields: FieldView[], values: Record<string, string>): { settings: Record<string, string>; secret: string } {
  const settings: Record<string, string> = {};
  let secret = '';
  for (const f of fields) {
    const v = (values[f.key] ?? '').trim();
    if (f.secret) secret = v;
    else if (v) settings[f.key] = v;
  }
  return { settings, secret };
}
