/* The fake OAuth authorization server: exports are added here by its implementation. */
export {};
