/** The version. */
export const probe = 1;
