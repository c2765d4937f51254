/* The fake POP3 server: exports are added here by its implementation. */
export {};
