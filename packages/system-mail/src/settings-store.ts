import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { writeFileAtomic } from './atomic-write.js';
import { describeSettings, type SettingsDetails } from './describe-settings.js';
import { SystemMailConfigError, SystemMailStoreError } from './errors.js';
import { oauthAccountOf, oauthStateAfterSave, type OAuthAccountRef, type OAuthTokenState } from './oauth-status.js';
import { checkMailServer, checkOAuthClient } from './registry-entry-checks.js';
import type { MailServerRegistry, OAuthClientRegistry } from './registries.js';
import { deriveStoreKeys, type StoreKeys } from './secret-cipher.js';
import { parseSettingsForm } from './settings-form.js';
import type { SystemMailSettings } from './settings-types.js';
import { decodeStore, encodeStore, type StoreContent } from './store-file-format.js';
import { invalidKey, loadKeyFile, parseStoreKey } from './store-key.js';
import { validateSettings } from './validate-settings.js';
import type { MailFeatureServer, OAuthClient, ValidationContext } from './validation-context.js';
import type { ValidationResult } from './validation-result.js';

/** How to open the store. */
export interface SettingsStoreOptions {
  /** The store file; default `SYSMAIL_STORE`, else `~/.sysmail/system-mail.json`. */
  readonly path?: string;
  /** The 32-byte secret key, raw or as base64 / hex text; default `SYSMAIL_SECRET_KEY`, else the key file. */
  readonly key?: Uint8Array | string;
  /** The key file, created (mode 0600) when neither it nor the store exists; default: beside the store, `.key` instead of `.json`. */
  readonly keyFile?: string;
  /** Where `SYSMAIL_STORE` and `SYSMAIL_SECRET_KEY` are read from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Called when the new file is written and flushed but not yet renamed into
   * place. For crash tests: throwing here (or exiting) leaves the old file intact.
   */
  readonly beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** What sending code needs, read in one go: settings, registries and the OAuth account. */
export interface SettingsSnapshot {
  /** The stored settings, decrypted; undefined until first saved. */
  readonly settings: SystemMailSettings | undefined;
  /** The registries' content (OAuth clients with their secrets). */
  readonly context: ValidationContext;
  /** The OAuth account the settings send with, when they use OAuth. */
  readonly oauth?: {
    /** Which account. */
    readonly ref: OAuthAccountRef;
    /** The registered client, with its secret; undefined if it was removed since. */
    readonly client: OAuthClient | undefined;
    /** The stored token state; undefined when never authorized. */
    readonly state: OAuthTokenState | undefined;
  };
}

/**
 * The system mail account's persistent state — settings, mail servers, OAuth
 * clients and OAuth tokens — in one JSON file, written atomically (mode 0600)
 * with every secret encrypted. Writes are serialised; a failed write changes
 * nothing, on disk or in memory.
 */
export interface SettingsStore {
  /** The store file's absolute path. */
  readonly path: string;
  /** The servers registered for the mail feature. */
  readonly mailServers: MailServerRegistry;
  /** The registered OAuth clients. */
  readonly oauthClients: OAuthClientRegistry;
  /** The stored settings, passwords decrypted; undefined until first saved. */
  getSettings(): Promise<SystemMailSettings | undefined>;
  /** The validation context, read from the registries. */
  validationContext(): Promise<ValidationContext>;
  /**
   * Validates a settings object against the registries and the stored settings
   * (an empty password keeps the stored one) and saves it when valid. Changing
   * the address or the OAuth client resets OAuth authorization to 要認可.
   */
  saveSettings(input: unknown): Promise<ValidationResult>;
  /** Like {@link SettingsStore.saveSettings}, for the change screen's posted fields. */
  submitForm(fields: Readonly<Record<string, string | undefined>>): Promise<ValidationResult>;
  /** The token state of an account; default: the account the stored settings send with. */
  getOAuthState(ref?: OAuthAccountRef): Promise<OAuthTokenState | undefined>;
  /** Stores the token state of an account (after sign-in, or a token refresh). */
  setOAuthState(ref: OAuthAccountRef, state: OAuthTokenState): Promise<void>;
  /** The details screen's view, without any secret; undefined until settings are saved. */
  describe(): Promise<SettingsDetails | undefined>;
  /** Settings, registries and OAuth account as one consistent read, for sending. */
  snapshot(): Promise<SettingsSnapshot>;
  /** Re-reads the file, picking up changes made by another process. */
  reload(): Promise<void>;
}

const EMPTY: StoreContent = Object.freeze({ mailServers: [], oauthClients: [], oauthTokens: [] });

// One queue per store file, shared by every store object of this process that
// opens it, so two objects on the same file cannot interleave their writes.
const fileQueues = new Map<string, Promise<unknown>>();

/** A frozen deep copy: callers get the store's objects and must not be able to change them behind its back. */
function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}
const FILE_MODE = 0o600;

/**
 * The default store path: `SYSMAIL_STORE`, else `~/.sysmail/system-mail.json`.
 *
 * @param env - the environment; default `process.env`.
 * @returns an absolute path.
 */
export function defaultStorePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env['SYSMAIL_STORE'];
  return resolve(configured !== undefined && configured !== '' ? configured : join(homedir(), '.sysmail', 'system-mail.json'));
}

function sameRef(a: OAuthAccountRef, b: OAuthAccountRef): boolean {
  return a.client === b.client && a.address.toLowerCase() === b.address.toLowerCase();
}

function contextOf(content: StoreContent): ValidationContext {
  return { oauthClients: content.oauthClients, mailServers: content.mailServers };
}

async function readStoreText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SystemMailStoreError(
      'io',
      { ja: `設定ファイル ${path} を読み込めません。`, en: `Cannot read the system mail store ${path}.` },
      { cause: error },
    );
  }
}

class FileSettingsStore implements SettingsStore {
  readonly path: string;
  readonly mailServers: MailServerRegistry;
  readonly oauthClients: OAuthClientRegistry;
  readonly #keys: StoreKeys;
  readonly #beforeRename: SettingsStoreOptions['beforeRename'];
  #content: StoreContent;

  constructor(path: string, keys: StoreKeys, content: StoreContent, beforeRename: SettingsStoreOptions['beforeRename']) {
    this.path = path;
    this.#keys = keys;
    this.#content = frozen(content);
    this.#beforeRename = beforeRename;
    this.mailServers = this.#registry(
      () => this.#content.mailServers,
      (c, mailServers) => ({ ...c, mailServers }),
      checkMailServer,
      (c) => c.oauthTokens,
    );
    this.oauthClients = this.#registry(
      () => this.#content.oauthClients,
      (c, oauthClients) => ({ ...c, oauthClients }),
      checkOAuthClient,
      // A removed client's tokens are useless and still secret: they go with it.
      (c, id) => c.oauthTokens.filter((t) => t.ref.client !== id),
    );
  }

  #registry<T extends MailFeatureServer | OAuthClient>(
    entries: () => readonly T[],
    withEntries: (c: StoreContent, entries: readonly T[]) => StoreContent,
    check: (entry: T) => void,
    tokensAfterRemoval: (c: StoreContent, id: string) => StoreContent['oauthTokens'],
  ) {
    return {
      list: async (): Promise<readonly T[]> => entries(),
      get: async (id: string): Promise<T | undefined> => entries().find((e) => e.id === id),
      add: (entry: T): Promise<void> =>
        this.#mutate((c) => {
          check(entry);
          if (entries().some((e) => e.id === entry.id)) {
            throw new SystemMailConfigError({
              ja: `ID「${entry.id}」は既に登録されています。`,
              en: `The id "${entry.id}" is already registered.`,
            });
          }
          return { next: withEntries(c, [...entries(), entry]), result: undefined };
        }),
      remove: (id: string): Promise<boolean> =>
        this.#mutate((c) => {
          const kept = entries().filter((e) => e.id !== id);
          if (kept.length === entries().length) return { next: undefined, result: false };
          return { next: { ...withEntries(c, kept), oauthTokens: tokensAfterRemoval(c, id) }, result: true };
        }),
    };
  }

  /** Runs one task at a time per file, in call order, whatever the previous one's outcome. */
  #exclusive<R>(task: () => Promise<R>): Promise<R> {
    const done = (fileQueues.get(this.path) ?? Promise.resolve()).then(task, task);
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    fileQueues.set(this.path, settled);
    void settled.then(() => {
      if (fileQueues.get(this.path) === settled) fileQueues.delete(this.path);
    });
    return done;
  }

  async #read(): Promise<StoreContent> {
    const text = await readStoreText(this.path);
    return text === undefined ? EMPTY : decodeStore(text, this.#keys, this.path);
  }

  /** Applies one change; the in-memory content follows the file only once the file is written. */
  #mutate<R>(change: (content: StoreContent) => { next: StoreContent | undefined; result: R }): Promise<R> {
    return this.#exclusive(async () => {
      // Start from the file, not from memory: another store object (or process) may have written since.
      this.#content = frozen(await this.#read());
      const { next, result } = change(this.#content);
      if (next === undefined) return result;
      const text = encodeStore(next, this.#keys);
      try {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.path, text, FILE_MODE, this.#beforeRename);
      } catch (error) {
        throw new SystemMailStoreError(
          'io',
          { ja: `設定ファイル ${this.path} に書き込めません。`, en: `Cannot write the system mail store ${this.path}.` },
          { cause: error },
        );
      }
      this.#content = frozen(next);
      return result;
    });
  }

  async getSettings(): Promise<SystemMailSettings | undefined> {
    return this.#content.settings;
  }

  async validationContext(): Promise<ValidationContext> {
    return contextOf(this.#content);
  }

  saveSettings(input: unknown): Promise<ValidationResult> {
    return this.#save((context, previous) => validateSettings(input, context, previous));
  }

  submitForm(fields: Readonly<Record<string, string | undefined>>): Promise<ValidationResult> {
    return this.#save((context, previous) => parseSettingsForm(fields, context, previous));
  }

  #save(validate: (context: ValidationContext, previous: SystemMailSettings | undefined) => ValidationResult): Promise<ValidationResult> {
    return this.#mutate<ValidationResult>((content) => {
      const context = contextOf(content);
      const previous = content.settings;
      const result = validate(context, previous);
      if (!result.ok) return { next: undefined, result };
      const previousRef = previous === undefined ? undefined : oauthAccountOf(previous, context);
      const nextRef = oauthAccountOf(result.settings, context);
      const current = previousRef === undefined ? undefined : content.oauthTokens.find((t) => sameRef(t.ref, previousRef))?.state;
      const state = oauthStateAfterSave(previous, result.settings, context, current);
      // The previous account's tokens were granted for an address or client no longer in use: drop them.
      const others = content.oauthTokens.filter(
        (t) => !(previousRef !== undefined && sameRef(t.ref, previousRef)) && !(nextRef !== undefined && sameRef(t.ref, nextRef)),
      );
      const oauthTokens = nextRef !== undefined && state !== undefined ? [...others, { ref: nextRef, state }] : others;
      return { next: { ...content, settings: result.settings, oauthTokens }, result };
    });
  }

  async getOAuthState(ref?: OAuthAccountRef): Promise<OAuthTokenState | undefined> {
    const settings = this.#content.settings;
    const target = ref ?? (settings === undefined ? undefined : oauthAccountOf(settings, contextOf(this.#content)));
    return target === undefined ? undefined : this.#content.oauthTokens.find((t) => sameRef(t.ref, target))?.state;
  }

  setOAuthState(ref: OAuthAccountRef, state: OAuthTokenState): Promise<void> {
    return this.#mutate((content) => ({
      next: {
        ...content,
        oauthTokens: [...content.oauthTokens.filter((t) => !sameRef(t.ref, ref)), { ref: { ...ref }, state: { ...state } }],
      },
      result: undefined,
    }));
  }

  async describe(): Promise<SettingsDetails | undefined> {
    const settings = this.#content.settings;
    if (settings === undefined) return undefined;
    return describeSettings(settings, contextOf(this.#content), await this.getOAuthState());
  }

  async snapshot(): Promise<SettingsSnapshot> {
    const content = this.#content;
    const context = contextOf(content);
    const ref = content.settings === undefined ? undefined : oauthAccountOf(content.settings, context);
    return {
      settings: content.settings,
      context,
      ...(ref !== undefined
        ? {
            oauth: {
              ref,
              client: content.oauthClients.find((c) => c.id === ref.client),
              state: content.oauthTokens.find((t) => sameRef(t.ref, ref))?.state,
            },
          }
        : {}),
    };
  }

  reload(): Promise<void> {
    return this.#exclusive(async () => {
      this.#content = frozen(await this.#read());
    });
  }

  // The store holds decrypted secrets: never let a log line print them.
  [inspect.custom](): string {
    return `SettingsStore { path: ${JSON.stringify(this.path)} }`;
  }

  toJSON(): { path: string } {
    return { path: this.path };
  }
}

function defaultKeyFile(path: string): string {
  const name = basename(path, extname(path));
  return join(dirname(path), `${name}.key`);
}

/**
 * Opens (without creating) the store file and decrypts it. The key comes from
 * `options.key`, else `SYSMAIL_SECRET_KEY`, else the key file, which is created
 * when neither it nor the store exists yet.
 *
 * @param options - path, key and key file.
 * @returns the open store.
 * @throws SystemMailStoreError on a wrong key, a tampered or corrupt file, or an I/O failure.
 */
export async function openSettingsStore(options: SettingsStoreOptions = {}): Promise<SettingsStore> {
  const env = options.env ?? process.env;
  const path = options.path !== undefined ? resolve(options.path) : defaultStorePath(env);
  const text = await readStoreText(path);
  const envKey = env['SYSMAIL_SECRET_KEY'];
  let master: Uint8Array;
  if (options.key instanceof Uint8Array) {
    if (options.key.length !== 32) throw invalidKey('options.key');
    master = options.key;
  } else if (typeof options.key === 'string') {
    master = parseStoreKey(options.key, 'options.key');
  } else if (envKey !== undefined && envKey !== '') {
    master = parseStoreKey(envKey, 'SYSMAIL_SECRET_KEY');
  } else {
    master = await loadKeyFile(resolve(options.keyFile ?? defaultKeyFile(path)), text === undefined);
  }
  const keys = deriveStoreKeys(master);
  const content = text === undefined ? EMPTY : decodeStore(text, keys, path);
  return new FileSettingsStore(path, keys, content, options.beforeRename);
}
