import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '@sysmail/pop3-client';

describe('parseCapabilities', () => {
  it('interprets the RFC 2449 capabilities and keeps the raw lines', () => {
    const capabilities = parseCapabilities([
      'TOP',
      'USER',
      'SASL plain SCRAM-SHA-256',
      'RESP-CODES',
      'LOGIN-DELAY 900',
      'PIPELINING',
      'EXPIRE 60 USER',
      'UIDL',
      'STLS',
      'IMPLEMENTATION Shlemazle-Plotz-v302',
      'X-UNKNOWN 1',
    ]);
    expect(capabilities).toMatchObject({
      user: true,
      sasl: ['PLAIN', 'SCRAM-SHA-256'],
      stls: true,
      pipelining: true,
      respCodes: true,
      top: true,
      uidl: true,
      implementation: 'Shlemazle-Plotz-v302',
      expire: '60 USER',
      loginDelay: '900',
    });
    expect(capabilities.raw).toContain('X-UNKNOWN 1');
  });

  it('gives an empty set for an empty list', () => {
    expect(parseCapabilities([])).toMatchObject({ raw: [], user: false, sasl: [], stls: false, pipelining: false });
  });
});
