/** Escapes a SASL name for SCRAM and GS2 headers: `=` becomes `=3D` and `,` becomes `=2C` (RFC 5802 section 5.1). */
export function encodeSaslname(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Reverses {@link encodeSaslname}; undefined for any other `=` sequence or a raw `,`, which RFC 5802 forbids. */
export function decodeSaslname(text: string): string | undefined {
  if (/,|=(?!2C|3D)/.test(text)) return undefined;
  return text.replace(/=2C|=3D/g, (escape) => (escape === '=2C' ? ',' : '='));
}

/** A parsed GS2 header (RFC 5801 section 4) and the message after it. */
export interface Gs2Header {
  /** `n`: client does not support channel binding; `y`: it does but thinks the server does not; `p`: it uses it. */
  readonly flag: 'n' | 'y' | 'p';
  /** The channel binding type after `p=`. */
  readonly cbName?: string;
  /** The decoded authorization identity, when `a=` is present. */
  readonly authzid?: string;
  /** The header text itself, including its final comma. */
  readonly header: string;
  /** The rest of the message. */
  readonly rest: string;
}

const GS2 = /^(n|y|p=([A-Za-z0-9.-]+)),(?:a=([^,]+))?,/;

/** Parses the GS2 header at the start of `message`, or returns undefined. */
export function parseGs2Header(message: string): Gs2Header | undefined {
  const match = GS2.exec(message);
  if (match === null) return undefined;
  const [header, flagText = '', cbName, rawAuthzid] = match;
  const authzid = rawAuthzid === undefined ? undefined : decodeSaslname(rawAuthzid);
  if (rawAuthzid !== undefined && authzid === undefined) return undefined;
  const flag = flagText === 'n' || flagText === 'y' ? flagText : 'p';
  return {
    flag,
    ...(cbName === undefined ? {} : { cbName }),
    ...(authzid === undefined ? {} : { authzid }),
    header,
    rest: message.slice(header.length),
  };
}
