import { describe, expect, it } from 'vitest';
import { splitValues, validateFields } from './forms';
import type { FieldView } from './types';

const fields: FieldView[] = [
  { key: 'shop', required: true, secret: false, kind: 'text', pattern: '[a-z0-9][a-z0-9-]{0,60}' },
  { key: 'test_url', required: true, secret: false, kind: 'url' },
  { key: 'port', required: false, secret: false, kind: 'number', default: '5432' },
  { key: 'api_key', required: true, secret: true, kind: 'password' },
];

const db: FieldView[] = [
  { key: 'host', required: true, secret: false, kind: 'text' },
  { key: 'password', required: true, secret: true, kind: 'password' },
  { key: 'ssh_key', required: false, secret: true, kind: 'textarea' },
];

describe('validateFields', () => {
  it('reports each invalid field with its reason', () => {
    const errs = validateFields(fields, { shop: 'Evil.com/x', test_url: 'http://example.com', port: 'abc', api_key: '' });
    expect(errs).toEqual({
      shop: { code: 'error.field_invalid', params: { field: 'shop', reason: 'pattern' } },
      test_url: { code: 'error.url_https', params: { field: 'test_url' } },
      port: { code: 'error.field_invalid', params: { field: 'port', reason: 'not_a_number' } },
      api_key: { code: 'error.field_required', params: { field: 'api_key' } },
    });
  });

  it('leaves a pattern JavaScript cannot compile to the backend', () => {
    // An RE2 inline flag, which JavaScript rejects: the form must still submit.
    const re2: FieldView[] = [{ key: 'code', required: true, secret: false, kind: 'text', pattern: '(?i)[a-z]+' }];
    expect(validateFields(re2, { code: 'abc' })).toEqual({});
  });

  it.each([
    ['https://api.example.com/me', true],
    ['http://127.0.0.1:8080/me', true],
    ['http://localhost/me', true],
    ['http://[::1]:9/x', true],
    ['http://localhost.evil.com/', false],
    ['http://example.com', false],
    ['ftp://example.com', false],
    ['https://', false],
  ])('url %s valid: %s', (url, ok) => {
    expect(!validateFields(fields, { shop: 'ok', test_url: url, api_key: 'k' }).test_url).toBe(ok);
  });

  it('accepts a missing value that has a default', () => {
    expect(validateFields(fields, { shop: 'ok', test_url: 'https://x.example', api_key: 'k' })).toEqual({});
  });
});

describe('secrets', () => {
  it('never puts the secret in settings', () => {
    const { settings, secret, secrets } = splitValues(fields, { shop: 'ok', test_url: 'https://x', api_key: ' sk_test_1 ' });
    expect(secret).toBe('sk_test_1');
    expect(secrets).toEqual({});
    expect(settings).toEqual({ shop: 'ok', test_url: 'https://x' });
  });

  it.each([
    [{ host: 'db', password: 'pw', ssh_key: 'KEY' }, { secret: 'pw', secrets: { ssh_key: 'KEY' } }],
    [{ host: 'db', password: 'pw', ssh_key: '  ' }, { secret: 'pw', secrets: {} }],
    [{ host: 'db', ssh_key: 'KEY' }, { secret: '', secrets: { ssh_key: 'KEY' } }],
  ])('sends the main secret as secret and the others by key: %j', (values, want) => {
    const got = splitValues(db, values);
    expect({ secret: got.secret, secrets: got.secrets }).toEqual(want);
    expect(got.settings).toEqual({ host: 'db' });
  });
});
