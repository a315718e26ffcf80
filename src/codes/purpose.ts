export const PURPOSES = ["login", "register", "reset_password", "change_phone", "reauthenticate"] as const;
export type Purpose = (typeof PURPOSES)[number];
