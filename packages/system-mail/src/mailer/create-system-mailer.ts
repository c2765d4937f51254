import { setTimeout as delay } from 'node:timers/promises';
import type { SmtpClient } from '@sysmail/smtp-client';
import { composeMessage } from '../compose-message.js';
import { SystemMailDeliveryError } from '../errors.js';
import { createOAuthTokenProvider } from '../oauth/token-provider.js';
import type { AccessTokenSource } from './access-token-source.js';
import { abortedDuringWait, deliveryReplyOf, smtpFailure } from './delivery-errors.js';
import { planDelivery, type DeliveryPlan } from './delivery-plan.js';
import type {
  SystemMailConnectionTestResult,
  SystemMailer,
  SystemMailerOptions,
  SystemMailNotification,
  SystemMailSendResult,
  SystemMailTranscriptEntry,
} from './mailer-types.js';
import { loginForPopBeforeSmtp } from './pop-before-smtp.js';
import { openSmtpSession } from './smtp-session.js';

const CATEGORY_HEADER = 'X-Sysmail-Category';

function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/**
 * Creates the mailer of the system mail account. Nothing is read or
 * connected until the first call: each {@link SystemMailer.send} and
 * {@link SystemMailer.testConnection} re-reads the store, so a change saved by
 * the administrator (even from another process) applies to the next
 * notification.
 *
 * The delivery path is the settings' own: for POP before SMTP, POP3 login →
 * QUIT → 送信までの待ち時間 → SMTP; for SMTP AUTH, the chosen mechanism; for
 * OAuth, XOAUTH2 (or OAUTHBEARER) with a token refreshed once if the server
 * refuses it; encryption and every deadline exactly as configured.
 *
 * @param options - the store, and optional clock, sleep, token source, TLS and transcript listener.
 * @returns the mailer.
 */
export function createSystemMailer(options: SystemMailerOptions): SystemMailer {
  const { store } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, options.signal === undefined ? {} : { signal: options.signal }));
  const tokens: AccessTokenSource = options.tokenProvider ?? createOAuthTokenProvider(store);

  /**
   * The wait of POP before SMTP. An abort during it (Node's timer rejects with
   * an AbortError; an injected sleep may simply return) becomes the package's
   * delivery error, so callers handle one error family whatever the step.
   */
  async function waitBeforeSending(seconds: number): Promise<void> {
    try {
      await sleep(seconds * 1000);
    } catch (error) {
      if (options.signal?.aborted === true) throw abortedDuringWait(seconds, error);
      throw error;
    }
    if (options.signal?.aborted === true) throw abortedDuringWait(seconds, options.signal.reason);
  }

  async function currentPlan(): Promise<DeliveryPlan> {
    // Another process (the CLI, the admin screen) may have saved since the last send.
    await store.reload();
    return planDelivery(await store.snapshot());
  }

  async function session(plan: DeliveryPlan, transcript: SystemMailTranscriptEntry[]): Promise<SmtpClient> {
    const record = (entry: SystemMailTranscriptEntry): void => {
      transcript.push(entry);
      options.onTranscript?.(entry);
    };
    const common = {
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onTranscript: record,
    };
    if (plan.pop !== undefined) {
      await loginForPopBeforeSmtp(plan.pop, common);
      if (plan.pop.waitSeconds > 0) {
        record({ protocol: 'mailer', direction: 'info', text: `waiting ${plan.pop.waitSeconds} s before sending (POP before SMTP)` });
        await waitBeforeSending(plan.pop.waitSeconds);
      }
    }
    return openSmtpSession({
      ...common,
      target: plan.smtp,
      login: plan.login,
      tokens,
      popBeforeSmtp: plan.pop !== undefined,
      ...(options.clientName !== undefined ? { clientName: options.clientName } : {}),
    });
  }

  return {
    async send(notification: SystemMailNotification): Promise<SystemMailSendResult> {
      const plan = await currentPlan();
      const headers = { ...notification.headers, ...(notification.category !== undefined ? { [CATEGORY_HEADER]: notification.category } : {}) };
      // Composition errors (a bad address, CR/LF in a header) surface before any connection is made.
      const message = composeMessage({
        from: plan.from,
        to: list(notification.to),
        cc: list(notification.cc),
        subject: notification.subject,
        text: notification.text,
        ...(notification.html !== undefined ? { html: notification.html } : {}),
        headers,
        date: new Date(clock()),
      });
      const transcript: SystemMailTranscriptEntry[] = [];
      const client = await session(plan, transcript);
      const where = { target: plan.smtp, login: plan.login, popBeforeSmtp: plan.pop !== undefined };
      try {
        const result = await client.send({ from: message.envelope.from, to: [...message.envelope.to] }, message.bytes);
        await client.quit();
        return {
          messageId: message.messageId,
          accepted: result.accepted,
          rejected: result.rejected.map((r) => ({ address: r.address, reply: deliveryReplyOf(r.reply) })),
          warnings: plan.warnings,
          transcript,
        };
      } catch (error) {
        client.close();
        throw smtpFailure(error, where);
      }
    },

    async testConnection(): Promise<SystemMailConnectionTestResult> {
      const plan = await currentPlan();
      const transcript: SystemMailTranscriptEntry[] = [];
      try {
        const client = await session(plan, transcript);
        await client.quit();
        return { ok: true, transcript, warnings: plan.warnings };
      } catch (error) {
        if (!(error instanceof SystemMailDeliveryError)) throw error;
        return { ok: false, transcript, warnings: plan.warnings, error };
      }
    },
  };
}
