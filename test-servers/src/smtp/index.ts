/* The fake SMTP server: exports are added here by its implementation. */
export {};
