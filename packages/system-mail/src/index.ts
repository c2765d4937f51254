/**
 * @packageDocumentation
 * Placeholder until its issue lands.
 */
export {};
