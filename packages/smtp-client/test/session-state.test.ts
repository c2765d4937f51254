import { describe, expect, test } from 'vitest';
import { SmtpArgumentError } from '../src/index.js';
import { SessionState } from '../src/protocol/session-state.js';

describe('SessionState', () => {
  test('walks greeting → EHLO → ready → STARTTLS → EHLO → AUTH → transaction → ready → closed', () => {
    const state = new SessionState(false);
    expect(state.stage).toBe('greeting');
    state.greeted();
    state.identified();
    expect(state.stage).toBe('ready');
    state.upgraded();
    expect(state.stage).toBe('ehlo');
    state.identified();
    state.authenticatedNow();
    expect(state.authenticated).toBe(true);
    state.beginTransaction();
    expect(state.stage).toBe('transaction');
    state.endTransaction();
    expect(state.stage).toBe('ready');
    state.close();
    expect(state.stage).toBe('closed');
  });

  test('refuses a second AUTH, AUTH during a transaction, and a second STARTTLS', () => {
    const state = new SessionState(true);
    state.greeted();
    state.identified();
    expect(() => state.upgraded()).toThrow(/already secure/);
    state.authenticatedNow();
    expect(() => state.checkCanAuthenticate()).toThrow(/already authenticated/);
    state.beginTransaction();
    expect(() => state.beginTransaction()).toThrow(SmtpArgumentError);
  });

  test('STARTTLS forgets an earlier authentication', () => {
    const state = new SessionState(false);
    state.greeted();
    state.identified();
    state.authenticatedNow();
    state.upgraded();
    state.identified();
    expect(state.authenticated).toBe(false);
  });

  test('refuses MAIL before EHLO and anything after close', () => {
    const state = new SessionState(false);
    expect(() => state.beginTransaction()).toThrow(/stage 'greeting'/);
    state.close();
    expect(() => state.greeted()).toThrow(SmtpArgumentError);
  });
});
