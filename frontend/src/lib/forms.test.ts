import { describe, expect, it } from 'vitest';
import { splitValues, validateFields } from './forms';
import type { FieldView } from './types';

const fields: FieldView[] = [
  { key: 'shop', required: true, secret: false, kind: 'text', pattern: '[a-z0-9][a-z0-9-]{0,60}' },
  { key: 'test_url', required: true, secret: false, kind: 'url' },
  { key: 'port', required: false, secret: false, kind: 'number', default: '5432' },
  { key: 'api_key', required: true, secret: true, kind: 'password' },
];

describe('forms', () => {
  it('reports each invalid field', () => {
    const errs = validateFields(fields, { shop: 'Evil.com/x', test_url: 'http://example.com', port: 'abc', api_key: '' });
    expect(Object.keys(errs).sort()).toEqual(['api_key', 'port', 'shop', 'test_url']);
    expect(errs.test_url.code).toBe('error.url_https');
    expect(errs.api_key.code).toBe('error.field_required');
  });

  it('accepts loopback http for local test endpoints', () => {
    expect(validateFields(fields, { shop: 'ok', test_url: 'http://127.0.0.1:8080/me', api_key: 'k' })).toEqual({});
  });

  it('never puts the secret in settings', () => {
    const { settings, secret } = splitValues(fields, { shop: 'ok', test_url: 'https://x', api_key: ' sk_live_1 ' });
    expect(secret).toBe('sk_live_1');
    expect(Object.values(settings)).not.toContain('sk_live_1');
    expect(settings).not.toHaveProperty('api_key');
  });
});
