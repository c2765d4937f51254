/**
 * A user-facing text in both languages the product speaks. The Japanese side
 * uses the administrator manual's own labels so that messages match the screen.
 */
export interface LocalizedText {
  /** The Japanese text, using the manual's labels (e.g. 「送信メールサーバー名」). */
  readonly ja: string;
  /** The English text. */
  readonly en: string;
}
