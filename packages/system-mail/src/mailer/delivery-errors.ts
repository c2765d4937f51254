import {
  Pop3AuthError,
  Pop3ConfigError,
  Pop3ConnectionError,
  Pop3Error,
  Pop3ProtocolError,
  Pop3TimeoutError,
} from '@sysmail/pop3-client';
import {
  SmtpAbortError,
  SmtpAuthError,
  SmtpCapabilityError,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpTlsError,
  type SmtpReply,
} from '@sysmail/smtp-client';
import { SystemMailDeliveryError, SystemMailError, type DeliveryPhase, type DeliveryReply } from '../errors.js';
import type { LocalizedText } from '../localized-text.js';
import type { PopLogin, SmtpLogin, SmtpTarget } from './delivery-plan.js';

/** What an SMTP failure is judged against: where the session went and how it signed in. */
export interface SmtpFailureContext {
  /** The outgoing server. */
  readonly target: SmtpTarget;
  /** How the session signed in. */
  readonly login: SmtpLogin;
  /** True when POP before SMTP opened the relay. */
  readonly popBeforeSmtp: boolean;
}

/**
 * The server's answer in the error's shape.
 *
 * @param reply - an SMTP reply.
 * @returns the code, enhanced code and lines.
 */
export function deliveryReplyOf(reply: SmtpReply): DeliveryReply {
  return { code: reply.code, ...(reply.enhancedCode !== undefined ? { enhancedCode: reply.enhancedCode } : {}), lines: [...reply.lines] };
}

function summary(reply: SmtpReply | undefined): string {
  if (reply === undefined) return '';
  const text = reply.lines.join(' ').replace(/\s+/g, ' ').trim();
  const bounded = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return [String(reply.code), reply.enhancedCode, bounded].filter((p) => p !== undefined && p !== '').join(' ');
}

/** `（550 5.7.1 …）` / ` (550 5.7.1 …)`, or nothing when the server said nothing. */
function said(reply: SmtpReply | undefined): LocalizedText {
  const text = summary(reply);
  return text === '' ? { ja: '', en: '' } : { ja: `（${text}）`, en: ` (${text})` };
}

/**
 * The provider-specific refusals an administrator can fix in the provider's
 * console, with what to do. Exchange Online answers 5.7.139 when SMTP AUTH is
 * disabled for the tenant or mailbox and 5.7.30 when basic (password)
 * authentication is refused; Gmail answers 535 5.7.8 to bad credentials,
 * password or token.
 */
function providerAdvice(reply: SmtpReply | undefined, login: SmtpLogin): LocalizedText | undefined {
  const code = reply?.enhancedCode;
  const s = said(reply);
  if (code === '5.7.139') {
    return {
      ja: `メールサーバーでSMTP認証（SMTP AUTH）が無効になっています${s.ja}。Exchange 管理センターで、このメールボックスの「認証済みSMTP」を有効にしてください。テナント全体で無効になっている場合は、テナントの設定も変更が必要です。`,
      en: `SMTP AUTH is disabled for this mailbox or tenant${s.en}. In the Exchange admin center, enable Authenticated SMTP for the mailbox (and for the tenant if it is disabled there).`,
    };
  }
  if (code === '5.7.30') {
    return {
      ja: `メールサーバーがパスワードによる認証（基本認証）を受け付けていません${s.ja}。「メールの送信にOAuthを使用する」を選んでOAuthクライアントを設定し、OAuth認可を行ってください。`,
      en: `The server no longer accepts password (basic) authentication${s.en}. Use OAuth for sending: choose an OAuth client and authorize the account.`,
    };
  }
  if (reply?.code === 535 && code === '5.7.8') {
    return login.kind === 'oauth'
      ? {
          ja: `メールサーバーがOAuthのアクセストークンを受け付けませんでした${s.ja}。「システムメールアカウントの詳細」でOAuth認可をやり直してください（system-mail authorize）。サインインしたアカウントとシステムメールアドレスが同じかも確認してください。`,
          en: `The server refused the OAuth access token${s.en}. Authorize again on the details screen (system-mail authorize), signing in with the account of the system mail address.`,
        }
      : {
          ja: `送信用アカウントまたは送信用パスワードが正しくありません${s.ja}。Gmailのアカウントの場合は、パスワードではなくOAuthを使用してください。`,
          en: `The sending account or password is wrong${s.en}. For a Gmail account, use OAuth instead of a password.`,
        };
  }
  return undefined;
}

/**
 * True when an authentication failure is one a fresh OAuth token may fix:
 * the JSON error challenge, or a 535 that is not one of the provider's
 * configuration refusals.
 *
 * @param error - the SMTP client's authentication error.
 * @returns whether refreshing the token and retrying once makes sense.
 */
export function tokenMayBeStale(error: SmtpAuthError): boolean {
  const code = error.reply?.enhancedCode;
  if (code === '5.7.139' || code === '5.7.30') return false;
  return error.oauthError !== undefined || error.reply?.code === 535;
}

function smtpMessage(error: SmtpError, where: SmtpFailureContext): LocalizedText {
  const { host, port, timeoutSeconds, encryption } = where.target;
  const server = `${host}:${port}`;
  const s = said(error.reply);
  if (error instanceof SmtpTimeoutError) {
    return {
      ja: `送信メールサーバー ${server} が${timeoutSeconds}秒以内に応答しませんでした（${error.phase}）。サーバーの状態を確認するか、「タイムアウトまでの時間」を長くしてください。`,
      en: `The outgoing server ${server} did not answer within ${timeoutSeconds} seconds (${error.phase}). Check the server, or choose a longer timeout.`,
    };
  }
  if (error instanceof SmtpTlsError) {
    return {
      ja: `送信メールサーバー ${server} とのTLS接続に失敗しました。サーバー証明書と「暗号化通信」の設定（TLS / STARTTLS）を確認してください。`,
      en: `The TLS connection to the outgoing server ${server} failed: ${error.message} Check the server's certificate and the encryption setting (TLS / STARTTLS).`,
    };
  }
  if (error instanceof SmtpAbortError) {
    return { ja: '送信が中止されました。', en: 'Sending was aborted.' };
  }
  if (error instanceof SmtpConnectionError) {
    return error.phase === 'connect'
      ? {
          ja: `送信メールサーバー ${server} に接続できません。送信メールサーバー名、ポート番号、「暗号化通信」の設定を確認してください。`,
          en: `Cannot connect to the outgoing server ${server}: ${error.message} Check the server name, port and encryption setting.`,
        }
      : {
          ja: `送信メールサーバー ${server} との接続が切れました（${error.phase}）。しばらくしてから再度お試しください。`,
          en: `The connection to the outgoing server ${server} was lost during ${error.phase}. Try again later.`,
        };
  }
  if (error instanceof SmtpCapabilityError) {
    if (error.phase === 'starttls') {
      return {
        ja: `送信メールサーバー ${server} がSTARTTLSに対応していません。「暗号化通信」を正しく選んでください（ポート465なら「TLSを使用する」）。`,
        en: `The outgoing server ${server} does not offer STARTTLS. Choose the right encryption (Use TLS for port 465).`,
      };
    }
    return {
      ja: `送信メールサーバー ${server} が、設定した認証方式に対応していません。「SMTP認証方式」を確認してください。`,
      en: `The outgoing server ${server} cannot be used as configured: ${error.message} Check the SMTP authentication method.`,
    };
  }
  if (error instanceof SmtpAuthError) {
    const advice = providerAdvice(error.reply, where.login);
    if (advice !== undefined) return advice;
    if (error.reply === undefined) {
      return {
        ja: `SMTP認証を実行できませんでした。「SMTP認証方式」と「暗号化通信」の設定を確認してください。`,
        en: `SMTP authentication could not be performed: ${error.message}`,
      };
    }
    if (where.login.kind === 'oauth') {
      return {
        ja: `メールサーバーがOAuthによる認証を拒否しました${s.ja}。OAuth認可をやり直してください（system-mail authorize）。`,
        en: `The server refused OAuth authentication${s.en}. Authorize again (system-mail authorize).`,
      };
    }
    return error.transient
      ? {
          ja: `メールサーバーが一時的に認証を受け付けませんでした${s.ja}。しばらくしてから再度お試しください。`,
          en: `The server temporarily refused authentication${s.en}. Try again later.`,
        }
      : {
          ja: `SMTP認証に失敗しました${s.ja}。送信用アカウント、送信用パスワード、「SMTP認証方式」を確認してください。`,
          en: `SMTP authentication failed${s.en}. Check the sending account, password and SMTP authentication method.`,
        };
  }
  if (error instanceof SmtpReplyError) {
    const advice = providerAdvice(error.reply, where.login);
    if (advice !== undefined) return advice;
    if (error.phase === 'rcpt') {
      return where.popBeforeSmtp && !error.transient
        ? {
            ja: `送信メールサーバーが宛先を拒否しました${s.ja}。POP before SMTPの認証が送信メールサーバーに認められていない可能性があります。受信メールサーバー、受信用アカウント、「送信までの待ち時間」を確認してください。`,
            en: `The outgoing server refused the recipients${s.en}. It may not have accepted the POP before SMTP login: check the incoming server, the receiving account and the wait before sending.`,
          }
        : error.reply.enhancedCode?.startsWith('5.7.') === true
          ? {
              // 5.7.x at RCPT is a policy refusal, typically "relay access denied": the server wants to know who is sending.
              ja: `送信メールサーバーが中継を許可しませんでした${s.ja}。このサーバーから送信するには、SMTP認証またはPOP before SMTP認証の設定が必要な可能性があります。`,
              en: `The outgoing server refused to relay${s.en}. It may require SMTP authentication or POP before SMTP to send through it.`,
            }
          : {
              ja: `送信メールサーバーが宛先を拒否しました${s.ja}。宛先のメールアドレスを確認してください。`,
              en: `The outgoing server refused the recipients${s.en}. Check the addresses.`,
            };
    }
    return error.transient
      ? {
          ja: `送信メールサーバーが一時的に送信を受け付けませんでした${s.ja}。しばらくしてから再度お試しください。`,
          en: `The outgoing server temporarily refused the message${s.en}. Try again later.`,
        }
      : {
          ja: `送信メールサーバーが送信を拒否しました${s.ja}。システムメールアドレスとサーバーの設定を確認してください。`,
          en: `The outgoing server refused the message${s.en}. Check the system mail address and the server's settings.`,
        };
  }
  if (error instanceof SmtpProtocolError) {
    return {
      ja: `送信メールサーバー ${server} がSMTPの手順に従わない応答をしたため、安全のため接続を切りました。`,
      en: `The outgoing server ${server} broke the SMTP protocol, so the connection was closed for safety: ${error.message}`,
    };
  }
  return {
    ja: `送信メールサーバー ${server}（暗号化通信: ${encryption}）への送信に失敗しました。`,
    en: `Sending through ${server} (encryption: ${encryption}) failed: ${error.message}`,
  };
}

/**
 * Turns whatever a step of the SMTP session threw into the package's error:
 * the SMTP client's errors become {@link SystemMailDeliveryError}s with the
 * client's phase, transience and reply and a message saying what to do; the
 * package's own errors (e.g. from the token source) pass through unchanged.
 *
 * @param error - what was thrown.
 * @param where - the server, login and whether POP before SMTP was used.
 * @returns the error to throw.
 */
export function smtpFailure(error: unknown, where: SmtpFailureContext): SystemMailError {
  if (error instanceof SystemMailError) return error;
  if (error instanceof SmtpError) {
    return new SystemMailDeliveryError({
      phase: error.phase satisfies DeliveryPhase,
      transient: error.transient,
      ...(error.reply !== undefined ? { reply: deliveryReplyOf(error.reply) } : {}),
      messages: smtpMessage(error, where),
      cause: error,
    });
  }
  return unexpected(error, 'connect');
}

/**
 * Wraps a failure to get an OAuth access token from a source that threw
 * something other than the package's errors.
 *
 * @param error - what the token source threw.
 * @returns the error to throw.
 */
export function tokenFailure(error: unknown): SystemMailError {
  return error instanceof SystemMailError ? error : unexpected(error, 'oauth');
}

function unexpected(error: unknown, phase: DeliveryPhase): SystemMailDeliveryError {
  const detail = error instanceof Error ? error.message : String(error);
  return new SystemMailDeliveryError({
    phase,
    transient: false,
    messages: { ja: `送信に失敗しました（${phase}）。`, en: `Sending failed during ${phase}: ${detail}` },
    cause: error,
  });
}

function popMessage(error: Pop3Error, pop: PopLogin): LocalizedText {
  const server = `${pop.host}:${pop.port}`;
  const response = error.response === undefined ? { ja: '', en: '' } : { ja: `（${error.response}）`, en: ` (${error.response})` };
  if (error instanceof Pop3TimeoutError) {
    return {
      ja: `受信メールサーバー ${server} が${pop.timeoutSeconds}秒以内に応答しませんでした（POP before SMTP）。サーバーの状態を確認するか、「タイムアウトまでの時間」を長くしてください。`,
      en: `The incoming server ${server} did not answer within ${pop.timeoutSeconds} seconds (POP before SMTP). Check the server, or choose a longer timeout.`,
    };
  }
  if (error instanceof Pop3ConnectionError) {
    if (error.kind === 'aborted') {
      return {
        ja: 'POP before SMTPのログイン中に送信が中止されました。メールは送信されていません。',
        en: 'Sending was aborted during the POP before SMTP login; nothing was sent.',
      };
    }
    if (error.kind === 'tls') {
      return {
        ja: `受信メールサーバー ${server} とのTLS接続に失敗しました。サーバー証明書と「TLSの使用」、ポート番号を確認してください。`,
        en: `The TLS connection to the incoming server ${server} failed: ${error.message} Check its certificate, the Use TLS setting and the port.`,
      };
    }
    return {
      ja: `受信メールサーバー ${server} に接続できません（POP before SMTP）。受信メールサーバー名、ポート番号、「TLSの使用」を確認してください。`,
      en: `Cannot connect to the incoming server ${server} (POP before SMTP): ${error.message} Check the server name, port and Use TLS setting.`,
    };
  }
  if ((error instanceof Pop3AuthError || error instanceof Pop3ConfigError) && pop.apop && error.response === undefined) {
    return {
      ja: `受信メールサーバー ${server} がAPOP認証に対応していません（挨拶にタイムスタンプがありません）。「APOP認証を行う」を外すか、サーバーを確認してください。`,
      en: `The incoming server ${server} does not support APOP (its greeting has no timestamp). Turn APOP off, or check the server.`,
    };
  }
  if (error instanceof Pop3AuthError) {
    return error.transient
      ? {
          ja: `受信メールサーバーが一時的にログインを受け付けませんでした${response.ja}。しばらくしてから再度お試しください。`,
          en: `The incoming server temporarily refused the login${response.en}. Try again later.`,
        }
      : {
          ja: `受信メールサーバーへのログインに失敗しました${response.ja}。受信用アカウント、受信用パスワード、「APOP認証を行う」を確認してください。`,
          en: `Logging in to the incoming server failed${response.en}. Check the receiving account, password and APOP setting.`,
        };
  }
  if (error instanceof Pop3ProtocolError) {
    return {
      ja: `受信メールサーバー ${server} がPOP3の手順に従わない応答をしたため、安全のため接続を切りました。`,
      en: `The incoming server ${server} broke the POP3 protocol, so the connection was closed for safety: ${error.message}`,
    };
  }
  return {
    ja: `POP before SMTPのログインに失敗しました${response.ja}。`,
    en: `The POP before SMTP login failed${response.en}: ${error.message}`,
  };
}

/**
 * Turns a failure of the POP before SMTP login into a
 * {@link SystemMailDeliveryError} (phase `pop-before-smtp`) saying which
 * field to check.
 *
 * @param error - what the POP3 client threw.
 * @param pop - the POP login that failed.
 * @returns the error to throw.
 */
export function popFailure(error: unknown, pop: PopLogin): SystemMailError {
  if (error instanceof SystemMailError) return error;
  if (error instanceof Pop3Error) {
    return new SystemMailDeliveryError({
      phase: 'pop-before-smtp',
      transient: error.transient,
      ...(error.response !== undefined ? { reply: { lines: [error.response] } } : {}),
      messages: popMessage(error, pop),
      cause: error,
    });
  }
  return unexpected(error, 'pop-before-smtp');
}

/**
 * The caller's abort signal fired during 送信までの待ち時間, after the POP
 * login and before the SMTP session: nothing was sent.
 *
 * @param waitSeconds - the configured wait.
 * @param cause - the timer's AbortError or the signal's reason.
 * @returns the error to throw (phase `pop-before-smtp`, not transient).
 */
export function abortedDuringWait(waitSeconds: number, cause: unknown): SystemMailDeliveryError {
  return new SystemMailDeliveryError({
    phase: 'pop-before-smtp',
    transient: false,
    messages: {
      ja: `送信までの待ち時間（${waitSeconds}秒）の間に送信が中止されました。メールは送信されていません。`,
      en: `Sending was aborted during the ${waitSeconds}-second wait after the POP before SMTP login; nothing was sent.`,
    },
    cause,
  });
}
